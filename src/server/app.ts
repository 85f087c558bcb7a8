import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createAgent } from '../agent/factory.js';
import type { Agent } from '../agent/types.js';
import type { Config } from '../config.js';
import { createConnections, type Database, type SqlPool } from '../db/client.js';
import { isConnectionFailure } from '../db/errors.js';
import { applyMigrations } from '../db/migrations.js';
import { PgSignals } from '../db/signals.js';
import { startScheduler, type RunningScheduler } from '../jobs/scheduler.js';
import { createLogger, type Logger } from '../logger.js';
import { createServices, type Services } from '../services.js';
import { createContext } from './context.js';
import { createApollo } from './graphql/apollo.js';
import { buildSchema } from './graphql/schema.js';
import { createHttpApp } from './http.js';
import { attachGraphqlWs } from './ws.js';
import { buildOpenApi } from './rest/openapi.js';
import { createRestRouter } from './rest/router.js';
import { routes } from './rest/routes.js';

export interface StartServiceOptions {
  config: Config;
  /** The PostgreSQL to use (the configured one, or the embedded one main.ts started). */
  databaseUrl: string;
  /** The agent runs execute with; default: the one the configuration describes. */
  agent?: Agent;
  log?: Logger;
  /** What relative workspace paths resolve against; default: process.cwd(). */
  cwd?: string;
  /** How often idle workers and waiters poll the database (ms); default 1000. */
  pollMs?: number;
  /** The time as schedules see it; default: the system clock. */
  now?: () => Date;
}

export interface RunningService {
  url: string;
  port: number;
  services: Services;
  db: Database;
  /** The pool under `db`, for tests that build repositories of their own. */
  sql: SqlPool;
  /** Stops taking requests, interrupts in-flight runs, and closes every connection. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** How often each process folds the /metrics counter rows (MetricsService.startCompaction). */
const METRICS_COMPACTION_MS = 5_000;

export function assertSafeBinding(config: Config): void {
  if (LOOPBACK.has(config.host) || config.apiTokens.length > 0 || config.allowUnauthenticated) return;
  throw new Error(
    `Refusing to listen on ${config.host} without authentication: set ANTON_API_TOKENS, or ANTON_ALLOW_UNAUTHENTICATED=true to accept the risk.`,
  );
}

function packageVersion(): string {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/** Migrates the database, builds the services and serves HTTP, GraphQL and REST on one port. */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const { config } = options;
  const log = options.log ?? createLogger('info');
  assertSafeBinding(config);
  await applyMigrations(options.databaseUrl, { log: (message) => log.info(message) });

  const connections = createConnections(options.databaseUrl, { onIdleError: (error) => log.warn('an idle database connection failed', { error }) });
  const { db, sql } = connections;
  const signals = new PgSignals(options.databaseUrl, db, log);
  await signals.start();
  const agent = options.agent ?? createAgent(config);
  const processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const services = createServices({
    config,
    db,
    sql,
    agent,
    signals,
    log,
    processId,
    cwd: options.cwd ?? process.cwd(),
    pollMs: options.pollMs,
    now: options.now,
  });
  await services.engine.start();
  const stopCompaction = services.metrics.startCompaction(METRICS_COMPACTION_MS, (error) =>
    isConnectionFailure(error) ? log.debug('metrics counters not folded: database unavailable') : log.warn('metrics counters not folded', { error }),
  );

  const schema = buildSchema();
  const makeContext = (requestId?: string) => createContext(services, log, requestId);
  const httpServer = http.createServer();
  const ws = attachGraphqlWs({
    httpServer,
    schema,
    limits: config.graphql,
    apiTokens: config.apiTokens,
    maxSubscriptionsPerConnection: 20,
    createContext: makeContext,
    log,
  });
  const apollo = createApollo({
    schema,
    httpServer,
    limits: config.graphql,
    // Draining closes the WebSocket server too, so subscribers reconnect elsewhere and resume.
    plugins: [{ serverWillStart: async () => ({ drainServer: () => ws.dispose() }) }],
  });
  await apollo.start();
  const version = packageVersion();
  const openStreams = new Set<() => void>();
  const app = createHttpApp({
    apollo,
    rest: createRestRouter({ schema, routes, maxBodyBytes: config.maxBodyBytes, createContext: makeContext, log, openStreams }),
    routes,
    openApi: () => buildOpenApi(routes, { version, authenticated: config.apiTokens.length > 0 }),
    apiTokens: config.apiTokens,
    maxBodyBytes: config.maxBodyBytes,
    createContext: makeContext,
    log,
  });
  httpServer.on('request', app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  let scheduler: RunningScheduler | null = null;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // No new fires, then the engine: waiting turns answer with their run's status and
      // in-flight runs end, so the HTTP drain that follows has nothing left to wait for.
      await scheduler?.stop();
      await services.engine.stop();
      await stopCompaction();
      await agent.close?.();
      // Event streams end now (clients resume from their cursor elsewhere), not after the drain's grace period.
      for (const stop of [...openStreams]) stop();
      await apollo.stop();
      await services.auditLog.close();
      await signals.stop();
      await connections.close();
    })();
    return closing;
  };
  if (config.scheduler.enabled) {
    try {
      scheduler = await startScheduler(services.schedules, { connectionString: options.databaseUrl, ...config.scheduler, processName: processId, log });
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { url: `http://${host}:${port}`, port, services, db, sql, close };
}
