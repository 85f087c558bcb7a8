import type { Agent, AgentOutcome, AgentPorts, AgentSink } from '../../agent/types.js';
import type { ArtifactService } from '../../artifacts/service.js';
import type { Database } from '../../db/client.js';
import type { EventService } from '../../events/service.js';
import type { Event, Run } from '../../generated/prisma/client.js';
import { isPlainObject } from '../../json.js';
import type { Logger } from '../../logger.js';
import type { SessionRepository } from '../../sessions/repository.js';
import { outputDirOf } from '../../sessions/workspace.js';
import type { RunRepository } from '../repository.js';
import { INTERRUPTED_ERROR } from '../status.js';
import type { RunCompletion } from '../types.js';
import type { Signals } from '../../signals.js';
import { ReplyBatcher } from './replyBatcher.js';
import { errorMessage } from '../../errors.js';

/** Why an in-flight run's controller was aborted. */
export type AbortReason = 'cancel' | 'shutdown' | 'lease-lost';

export interface ExecutorDeps {
  /** Builds the stores one run's agent works with. */
  portsFor: (run: Pick<Run, 'id' | 'sessionId'>) => AgentPorts;
  db: Database;
  runs: RunRepository;
  sessions: SessionRepository;
  events: EventService;
  artifacts: ArtifactService;
  agent: Agent;
  signals: Signals;
  log: Logger;
}

/**
 * Executes one run that already holds its session: the pre-flight cancel check, the agent call,
 * artifact attribution, and recording how the run ended (which frees the session).
 */
export class RunExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  async execute(run: Run, controller: AbortController, extraEvents: Array<Record<string, unknown> & { eventType: string }> = []): Promise<Run | null> {
    const { runs, sessions, events, artifacts, agent, log } = this.deps;
    const fresh = await runs.findById(run.id);
    if (!fresh || fresh.completedAt) return fresh;
    if (fresh.cancelRequested || controller.signal.aborted) {
      return this.finish(fresh, this.completionForAbort(controller, emptyOutcome()), extraEvents);
    }
    const session = await sessions.findById(run.sessionId);
    if (!session) return this.finish(fresh, failedCompletion(`Unknown session_id '${run.sessionId}'.`, emptyOutcome()), extraEvents);

    const outputDir = outputDirOf(session.workspacePath);
    const before = await artifacts.snapshot(outputDir);
    const progress = emptyOutcome();
    const replies = new ReplyBatcher((text) => {
      this.deps.signals.publish({ kind: 'reply', sessionId: run.sessionId, runId: run.id, text }).catch((error: unknown) => {
        log.warn('reply delta could not be published', { runId: run.id, error });
      });
    });
    const details: Pick<RunCompletion, 'provider' | 'model' | 'modelPrompt' | 'systemPrompt'> = {};
    const sink: AgentSink = {
      event: async (eventType, payload) => {
        await events.append({ sessionId: run.sessionId, runId: run.id, eventType, payload });
      },
      replyDelta: (text) => {
        progress.reply += text;
        replies.push(text);
      },
      usage: (totals) => {
        progress.inputTokens = totals.inputTokens;
        progress.outputTokens = totals.outputTokens;
        progress.toolCalls = totals.toolCalls;
      },
      describe: (described) => Object.assign(details, described),
    };

    let completion: RunCompletion;
    try {
      const outcome = await agent.run({
        runId: run.id,
        sessionId: run.sessionId,
        workspacePath: session.workspacePath,
        outputDir,
        message: run.prompt,
        sessionMetadata: isPlainObject(session.metadata) ? session.metadata : {},
        signal: controller.signal,
        sink,
        ports: this.deps.portsFor(run),
      });
      if (controller.signal.aborted) completion = this.completionForAbort(controller, { ...progress, ...outcome });
      else if (outcome.error) completion = failedCompletion(outcome.error, outcome);
      else {
        completion = {
          status: outcome.pendingApprovalIds.length > 0 ? 'approval_required' : 'completed',
          response: outcome.reply,
          error: null,
          inputTokens: outcome.inputTokens,
          outputTokens: outcome.outputTokens,
          toolCalls: outcome.toolCalls,
          pendingApprovalIds: outcome.pendingApprovalIds,
        };
      }
    } catch (error) {
      if (controller.signal.aborted) completion = this.completionForAbort(controller, progress);
      else {
        log.warn('run failed', { runId: run.id, error });
        completion = failedCompletion(errorMessage(error), progress);
      }
    }
    replies.flush();
    try {
      await artifacts.recordChanges(run.id, outputDir, before);
    } catch (error) {
      log.error('artifact attribution failed', { runId: run.id, error });
    }
    return this.finish(fresh, { ...completion, ...details }, extraEvents);
  }

  private completionForAbort(controller: AbortController, progress: AgentOutcome): RunCompletion {
    const reason = controller.signal.reason as AbortReason;
    if (reason === 'shutdown' || reason === 'lease-lost') return failedCompletion(INTERRUPTED_ERROR, progress);
    return {
      status: 'cancelled',
      response: progress.reply,
      error: null,
      inputTokens: progress.inputTokens,
      outputTokens: progress.outputTokens,
      toolCalls: progress.toolCalls,
      pendingApprovalIds: progress.pendingApprovalIds,
    };
  }

  /** Records the end of the run, its closing events and the signal, in one transaction. */
  async finish(run: Run, completion: RunCompletion, extraEvents: Array<Record<string, unknown> & { eventType: string }> = []): Promise<Run | null> {
    const { db, runs, events, signals } = this.deps;
    const appended: Event[] = [];
    const finished = await db.$transaction(async (tx) => {
      const row = await runs.finish(tx, run.id, completion, completion.status === 'cancelled');
      if (!row) return null;
      for (const { eventType, ...payload } of extraEvents) {
        appended.push(await events.appendIn(tx, { sessionId: run.sessionId, runId: run.id, eventType, payload }));
      }
      await signals.publish({ kind: 'finished', runId: run.id, sessionId: run.sessionId }, tx);
      return row;
    });
    events.committed(appended);
    return finished ?? (await runs.findById(run.id));
  }
}

function emptyOutcome(): AgentOutcome {
  return { reply: '', inputTokens: 0, outputTokens: 0, toolCalls: 0, pendingApprovalIds: [] };
}

function failedCompletion(error: string, progress: AgentOutcome): RunCompletion {
  return {
    status: 'failed',
    response: '',
    error,
    inputTokens: progress.inputTokens,
    outputTokens: progress.outputTokens,
    toolCalls: progress.toolCalls,
    pendingApprovalIds: progress.pendingApprovalIds,
  };
}
