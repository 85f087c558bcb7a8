import type { Agent } from './agent/types.js';
import { ApprovalRepository } from './approvals/repository.js';
import { ApprovalService } from './approvals/service.js';
import { ArtifactRepository } from './artifacts/repository.js';
import { ArtifactService } from './artifacts/service.js';
import type { Config } from './config.js';
import type { Database, SqlPool } from './db/client.js';
import { AuditLog } from './events/auditLog.js';
import { EventRepository } from './events/repository.js';
import { EventService } from './events/service.js';
import { LiveEvents } from './events/live.js';
import type { Logger } from './logger.js';
import { MetricsRepository } from './metrics/repository.js';
import { MemoryRepository } from './memory/repository.js';
import { MemoryService } from './memory/service.js';
import { ConversationRepository, conversationPortFor } from './conversations/repository.js';
import { MetricsService } from './metrics/service.js';
import { RunEngine } from './runs/engine/engine.js';
import { RunExecutor } from './runs/engine/executor.js';
import type { Signals } from './signals.js';
import { RunRepository } from './runs/repository.js';
import { RunService } from './runs/service.js';
import { agendaJobWakeups } from './schedules/agendaJobs.js';
import { ScheduleRepository } from './schedules/repository.js';
import { ScheduleService } from './schedules/service.js';
import { SessionRepository } from './sessions/repository.js';
import { SessionService } from './sessions/service.js';
import { SkillRepository } from './skills/repository.js';
import { SkillService } from './skills/service.js';
import path from 'node:path';

/** Every domain service, built once per process and shared by all transports. */
export interface Services {
  sessions: SessionService;
  runs: RunService;
  events: EventService;
  approvals: ApprovalService;
  memory: MemoryService;
  artifacts: ArtifactService;
  metrics: MetricsService;
  skills: SkillService;
  schedules: ScheduleService;
  engine: RunEngine;
  auditLog: AuditLog;
  live: LiveEvents;
  signals: Signals;
}

export interface ServiceDeps {
  config: Config;
  db: Database;
  sql: SqlPool;
  agent: Agent;
  signals: Signals;
  log: Logger;
  processId: string;
  /** What relative workspace paths resolve against (the process's working directory). */
  cwd: string;
  /** How often idle workers and waiters poll the database; tests shorten it. */
  pollMs?: number;
  /** Events a live subscriber may have waiting before it is closed as too slow. */
  liveQueueLimit?: number;
  /** The time as schedules see it; tests inject one. */
  now?: () => Date;
}

export function createServices(deps: ServiceDeps): Services {
  const { config, db, agent, signals, log, processId } = deps;
  const auditLog = new AuditLog(path.join(config.serviceDir, 'audit.log.jsonl'), (error) => log.error('audit log write failed', { error }));
  const sessionRepository = new SessionRepository(db);
  const sessions = new SessionService(sessionRepository, { defaultPath: config.home, cwd: deps.cwd, root: config.workspacesRoot });
  const eventRepository = new EventRepository(db, deps.sql);
  const events = new EventService(db, eventRepository, auditLog, signals);
  const live = new LiveEvents(
    (sessionId, afterId, count) => eventRepository.readAfter(sessionId, afterId, count),
    (sessionId) => eventRepository.head(sessionId),
    { queueLimit: deps.liveQueueLimit ?? 1000, batchSize: 500 },
    log,
  );
  events.onCommitted((rows) => {
    const newest = new Map<string, number>();
    for (const row of rows) newest.set(row.sessionId, Math.max(newest.get(row.sessionId) ?? 0, Number(row.id)));
    for (const [sessionId, id] of newest) live.notify(sessionId, id);
  });
  signals.subscribe((signal) => {
    if (signal.kind === 'event') live.notify(signal.sessionId, signal.id);
    else if (signal.kind === 'reply') live.reply(signal.sessionId, signal.runId, signal.text);
    else if (signal.kind === 'resync') live.notifyAll();
  });
  const artifacts = new ArtifactService(new ArtifactRepository(db));
  const runRepository = new RunRepository(db, deps.sql);
  const approvals = new ApprovalService(new ApprovalRepository(db), signals);
  const memory = new MemoryService(new MemoryRepository(db), {
    enabled: config.memory.enabled,
    maxItems: config.memory.recallMaxItems,
    maxChars: config.memory.recallMaxChars,
  });
  const conversations = new ConversationRepository(db, deps.sql);
  const executor = new RunExecutor({
    portsFor: (run) => ({
      conversation: conversationPortFor(conversations, run.sessionId, run.id),
      memory: memory.portFor(run.sessionId, run.id),
      approvals: approvals.storeFor(),
    }),
    db,
    runs: runRepository,
    sessions: sessionRepository,
    events,
    artifacts,
    agent,
    signals,
    log,
  });
  const engine = new RunEngine(
    { db, runs: runRepository, events, executor, signals, log },
    { workerMode: config.workerMode, queueWorkerCount: config.queueWorkerCount, leaseSeconds: config.runLeaseSeconds, processId, pollMs: deps.pollMs },
  );
  const runs = new RunService(db, runRepository, sessions, events, engine, signals, { processId, leaseSeconds: config.runLeaseSeconds });
  const skills = new SkillService(new SkillRepository(db), runs);
  const schedules = new ScheduleService({
    db,
    repository: new ScheduleRepository(db),
    skills,
    runs,
    sessions,
    events,
    wakeups: agendaJobWakeups,
    misfireGraceMs: config.scheduler.misfireGraceSeconds * 1000,
    log,
    now: deps.now,
  });
  return {
    sessions,
    runs,
    events,
    approvals,
    memory,
    artifacts,
    metrics: new MetricsService(new MetricsRepository(db)),
    skills,
    schedules,
    engine,
    auditLog,
    live,
    signals,
  };
}
