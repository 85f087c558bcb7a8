import type { Agent } from './agent/types.js';
import { ApprovalRepository } from './approvals/repository.js';
import { ApprovalService } from './approvals/service.js';
import { ArtifactRepository } from './artifacts/repository.js';
import { ArtifactService } from './artifacts/service.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { AuditLog } from './events/auditLog.js';
import { EventRepository } from './events/repository.js';
import { EventService } from './events/service.js';
import type { Logger } from './logger.js';
import { MetricsRepository } from './metrics/repository.js';
import { MetricsService } from './metrics/service.js';
import { RunEngine } from './runs/engine/engine.js';
import { RunExecutor } from './runs/engine/executor.js';
import type { RunSignals } from './runs/engine/signals.js';
import { RunRepository } from './runs/repository.js';
import { RunService } from './runs/service.js';
import { SessionRepository } from './sessions/repository.js';
import { SessionService } from './sessions/service.js';
import path from 'node:path';

/** Every domain service, built once per process and shared by all transports. */
export interface Services {
  sessions: SessionService;
  runs: RunService;
  events: EventService;
  approvals: ApprovalService;
  artifacts: ArtifactService;
  metrics: MetricsService;
  engine: RunEngine;
  auditLog: AuditLog;
}

export interface ServiceDeps {
  config: Config;
  db: Database;
  agent: Agent;
  signals: RunSignals;
  log: Logger;
  processId: string;
  /** What relative workspace paths resolve against (the process's working directory). */
  cwd: string;
  /** How often idle workers and waiters poll the database; tests shorten it. */
  pollMs?: number;
}

export function createServices(deps: ServiceDeps): Services {
  const { config, db, agent, signals, log, processId } = deps;
  const auditLog = new AuditLog(path.join(config.serviceDir, 'audit.log.jsonl'), (error) => log.error('audit log write failed', { error }));
  const sessionRepository = new SessionRepository(db);
  const sessions = new SessionService(sessionRepository, { defaultPath: config.home, cwd: deps.cwd, root: config.workspacesRoot });
  const events = new EventService(db, new EventRepository(db), auditLog);
  const artifacts = new ArtifactService(new ArtifactRepository(db));
  const runRepository = new RunRepository(db);
  const executor = new RunExecutor({ db, runs: runRepository, sessions: sessionRepository, events, artifacts, agent, signals, log });
  const engine = new RunEngine(
    { db, runs: runRepository, events, executor, signals, log },
    { workerMode: config.workerMode, queueWorkerCount: config.queueWorkerCount, leaseSeconds: config.runLeaseSeconds, processId, pollMs: deps.pollMs },
  );
  const runs = new RunService(db, runRepository, sessions, events, engine, signals, { processId, leaseSeconds: config.runLeaseSeconds });
  return {
    sessions,
    runs,
    events,
    approvals: new ApprovalService(new ApprovalRepository(db)),
    artifacts,
    metrics: new MetricsService(new MetricsRepository(db)),
    engine,
    auditLog,
  };
}
