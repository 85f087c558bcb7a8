// The real service in the bench process (startService on port 0, silent log) on a fresh
// database of the run's PostgreSQL, with the zero-latency agent; `close()` stops it and drops
// the database. Measures that need it in a separate process use serviceChild.ts instead.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/server/app.js';
import type { Agent } from '../../src/agent/types.js';
import type { Config } from '../../src/config.js';
import type { BenchContext, BenchDatabase } from './types.js';
import { zeroLatencyAgent } from './zeroModel.js';

export interface BenchService {
  service: RunningService;
  database: BenchDatabase;
  config: Config;
  home: string;
  close(): Promise<void>;
}

export async function startBenchService(ctx: BenchContext, name: string, agentFor: (config: Config) => Agent = zeroLatencyAgent): Promise<BenchService> {
  const database = await ctx.createDatabase();
  let service: RunningService | undefined;
  try {
    const home = await ctx.scratchDir(`${name}-home`);
    const config = loadConfig(
      { ANTON_HOME: home, ANTON_SERVICE_PORT: '0', ANTON_SERVICE_HOST: '127.0.0.1', DATABASE_URL: database.url, ANTON_LOG_LEVEL: 'silent' },
      { cwd: home, homeDir: home, readEnvFiles: false },
    );
    service = await startService({ config, databaseUrl: database.url, agent: agentFor(config), log: createLogger('silent'), cwd: home });
    const running = service;
    let closing: Promise<void> | undefined;
    return {
      service: running,
      database,
      config,
      home,
      close: () =>
        (closing ??= (async () => {
          await running.close().catch((error: unknown) => ctx.log(`closing the service failed: ${String(error)}`));
          await database.drop().catch((error: unknown) => ctx.log(`dropping the database failed: ${String(error)}`));
        })()),
    };
  } catch (error) {
    await service?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
}

/** POST /sessions, then returns the id. */
export async function createSession(baseUrl: string, sessionId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId }),
  });
  if (response.status !== 200 && response.status !== 201) throw new Error(`POST /sessions answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer().catch(() => undefined);
  return sessionId;
}

export interface TurnReply {
  run_id: string;
  status: string;
  reply: string | null;
  error: string | null;
}

/** One `POST /sessions/{id}/turn` with wait_for_completion; throws unless the run completed. */
export async function turn(baseUrl: string, sessionId: string, message: string): Promise<TurnReply> {
  const response = await fetch(`${baseUrl}/sessions/${encodeURIComponent(sessionId)}/turn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, wait_for_completion: true, wait_timeout_seconds: 60 }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /sessions/${sessionId}/turn answered ${response.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as TurnReply;
  if (body.status !== 'completed') throw new Error(`turn ended ${body.status}: ${body.error ?? ''}`);
  return body;
}
