// The child-process entry of test/kit/serviceProcess.ts: the real service (src/server/app.ts) in
// a process of its own, so that a test can kill it with SIGKILL like a crashed worker.
//
// Protocol (one JSON object per line on stdout):
//   {"type":"ready","url":"http://127.0.0.1:PORT","pid":N}            once the service listens
//   {"type":"agent_started","run_id","session_id","message","at"}     when the agent begins a run
//   {"type":"agent_finished","run_id","session_id","message","at","outcome"}  when it returns
// `at` is Date.now() in milliseconds. Configuration comes from the environment: every ANTON_* and
// DATABASE_URL setting, plus ANTON_TEST_AGENT_SCRIPTS (JSON: message → Script) and
// ANTON_TEST_AGENT_FALLBACK (JSON Script) for the ScriptedAgent. SIGTERM, SIGINT or the end of
// stdin (the parent went away) close the service and exit.
import type { Agent, AgentOutcome, AgentRunInput } from '../../src/agent/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type LogLevel } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/server/app.js';
import { ScriptedAgent, type Script } from './agents.js';

function report(message: Record<string, unknown>): void {
  // stdout is a pipe: writes are synchronous on Linux, so a line is out before any SIGKILL.
  process.stdout.write(JSON.stringify(message) + '\n');
}

function parseJson<T>(name: string, fallback: T): T {
  const raw = process.env[name];
  return raw ? (JSON.parse(raw) as T) : fallback;
}

/** Tells the parent when each run starts and ends in this process. */
class ReportingAgent implements Agent {
  constructor(private readonly inner: Agent) {}

  async run(input: AgentRunInput): Promise<AgentOutcome> {
    const base = { run_id: input.runId, session_id: input.sessionId, message: input.message };
    report({ type: 'agent_started', ...base, at: Date.now() });
    let outcome = 'error';
    try {
      const result = await this.inner.run(input);
      outcome = result.error ? 'failed' : 'returned';
      return result;
    } finally {
      report({ type: 'agent_finished', ...base, at: Date.now(), outcome });
    }
  }
}

async function main(): Promise<void> {
  const home = process.env.ANTON_HOME;
  const databaseUrl = process.env.DATABASE_URL;
  if (!home || !databaseUrl) throw new Error('serviceProcessMain needs ANTON_HOME and DATABASE_URL.');
  const config = loadConfig(process.env, { cwd: home, homeDir: home, readEnvFiles: false });
  const scripts = parseJson<Record<string, Script>>('ANTON_TEST_AGENT_SCRIPTS', {});
  const fallback = parseJson<Script | undefined>('ANTON_TEST_AGENT_FALLBACK', undefined);
  const agent = new ReportingAgent(new ScriptedAgent(scripts, fallback));
  const level = (process.env.ANTON_TEST_CHILD_LOG_LEVEL ?? 'warn') as LogLevel;
  const service: RunningService = await startService({
    config,
    databaseUrl,
    agent,
    log: createLogger(level),
    cwd: home,
    pollMs: Number(process.env.ANTON_TEST_POLL_MS ?? 200),
  });

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    service
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();

  report({ type: 'ready', url: service.url, pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(`serviceProcessMain failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
