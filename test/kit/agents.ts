import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Agent, AgentOutcome, AgentRunInput } from '../../src/agent/types.js';

/** One step of a scripted run. */
export type Step =
  | { reply: string }
  | { event: string; payload?: Record<string, unknown> }
  | { writeFile: string; content: string }
  | { waitMs: number }
  /** Blocks until the run is aborted (or `release()` is called on the agent). */
  | { block: true }
  | { fail: string };

export interface Script {
  steps: Step[];
  usage?: { inputTokens: number; outputTokens: number };
  toolCalls?: number;
  pendingApprovalIds?: string[];
  error?: string;
}

/**
 * A deterministic agent for tests, behind the same interface as the real one. Each run follows
 * the script chosen for its message (`scripts[message]`, else `fallback`), so a test states
 * exactly what the "model" does. It honours the abort signal like a real agent must.
 */
export class ScriptedAgent implements Agent {
  readonly started: AgentRunInput[] = [];
  private readonly releases = new Set<() => void>();
  private readonly startWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    private readonly scripts: Record<string, Script> = {},
    private readonly fallback: Script = { steps: [{ reply: 'done' }], usage: { inputTokens: 10, outputTokens: 5 } },
  ) {}

  /** Lets every blocked run go on. */
  release(): void {
    for (const release of [...this.releases]) release();
  }

  /** Resolves once `count` runs have started executing. */
  whenStarted(count: number): Promise<void> {
    if (this.started.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push({ count, resolve }));
  }

  async run(input: AgentRunInput): Promise<AgentOutcome> {
    this.started.push(input);
    for (const waiter of this.startWaiters.filter((w) => this.started.length >= w.count)) waiter.resolve();
    const script = this.scripts[input.message] ?? this.fallback;
    let reply = '';
    const usage = script.usage ?? { inputTokens: 0, outputTokens: 0 };
    input.sink.describe({ provider: 'scripted', model: 'scripted-1', modelPrompt: input.message, systemPrompt: 'You are a test.' });
    for (const step of script.steps) {
      input.signal.throwIfAborted();
      if ('reply' in step) {
        reply += step.reply;
        input.sink.replyDelta(step.reply);
      } else if ('event' in step) {
        await input.sink.event(step.event, step.payload ?? {});
      } else if ('writeFile' in step) {
        const target = path.join(input.outputDir, step.writeFile);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, step.content);
      } else if ('waitMs' in step) {
        await abortableDelay(step.waitMs, input.signal);
      } else if ('block' in step) {
        await this.blockUntilReleased(input.signal);
      } else {
        throw new Error(step.fail);
      }
      input.sink.usage({ ...usage, toolCalls: script.toolCalls ?? 0 });
    }
    return {
      reply,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      toolCalls: script.toolCalls ?? 0,
      pendingApprovalIds: script.pendingApprovalIds ?? [],
      error: script.error ?? null,
    };
  }

  private blockUntilReleased(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const release = (): void => {
        this.releases.delete(release);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.releases.delete(release);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      this.releases.add(release);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
