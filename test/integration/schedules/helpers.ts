import pg from 'pg';
import type { TestDatabase } from '../../kit/db.js';
import { startServiceProcess, type ServiceProcess } from '../../kit/serviceProcess.js';
import type { RestResponse } from '../../kit/service.js';

// REST bodies are read field by field in these tests, and nested freely (schedule.next_run_times,
// trigger.schedule.last_run_id); a typed body per route would only restate routes.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;
export type Rest = (method: string, urlPath: string, body?: unknown) => Promise<RestResponse>;

/** Starting service processes (tsx, Apollo, Prisma) takes seconds on a busy machine. */
export const CHILD_TEST_TIMEOUT_MS = 120_000;

export async function ok(response: Promise<RestResponse>): Promise<Json> {
  const answered = await response;
  if (answered.status !== 200) throw new Error(`HTTP ${answered.status}: ${answered.text}`);
  return answered.body as Json;
}

export async function createSkill(rest: Rest, name: string, template: string): Promise<Json> {
  return ok(rest('POST', '/skills', { name, prompt_template: template }));
}

export async function createSession(rest: Rest): Promise<string> {
  return (await ok(rest('POST', '/sessions', {}))).session_id as string;
}

/** A schedule's fires as the database recorded them: the slot of each run (from its idempotency key). */
export interface Fire {
  scheduleId: string;
  slotMs: number;
  runId: string;
  createdMs: number;
}

/** Every automatic fire, from the runs table: one row per run whose key names a slot. */
export async function automaticFires(databaseUrl: string): Promise<Fire[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ schedule_id: string; key: string; id: string; created_ms: string }>(
      `SELECT schedule_id, idempotency_key AS key, id, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms
         FROM runs WHERE idempotency_key LIKE 'schedule:%' ORDER BY created_at`,
    );
    return rows.map((row) => ({
      scheduleId: row.schedule_id,
      slotMs: Number(row.key.split(':')[2]),
      runId: row.id,
      createdMs: Number(row.created_ms),
    }));
  } finally {
    await client.end();
  }
}

/** Events of a type across every session, straight from the table. */
export async function eventsOfType(databaseUrl: string, eventType: string): Promise<Array<{ runId: string | null; payload: Json }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ run_id: string | null; payload: Json }>(
      'SELECT run_id, payload FROM events WHERE event_type = $1 ORDER BY id',
      [eventType],
    );
    return rows.map((row) => ({ runId: row.run_id, payload: row.payload }));
  } finally {
    await client.end();
  }
}

/** Groups fires by schedule, slots in order. */
export function slotsBySchedule(fires: Fire[]): Map<string, number[]> {
  const bySchedule = new Map<string, number[]>();
  for (const fire of fires) {
    const slots = bySchedule.get(fire.scheduleId) ?? [];
    slots.push(fire.slotMs);
    bySchedule.set(fire.scheduleId, slots);
  }
  for (const slots of bySchedule.values()) slots.sort((a, b) => a - b);
  return bySchedule;
}

/** Slots that are not exactly one interval after the previous one (a gap or a repeat). */
export function irregularities(slots: number[], intervalMs: number): string[] {
  const problems: string[] = [];
  for (let index = 1; index < slots.length; index += 1) {
    const step = slots[index]! - slots[index - 1]!;
    if (step !== intervalMs) problems.push(`slot ${index}: ${step} ms after the previous one`);
  }
  return problems;
}

/** The `method path` pairs /openapi.json documents under a path prefix, sorted. */
export async function documentedRoutes(get: <T>(path: string) => Promise<T>, prefix: string): Promise<string[]> {
  const doc = await get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
    .sort();
}

/**
 * Two service processes on one database, both running the scheduler (`env`), each warmed up with
 * a few skill turns, and `count` one-second schedules, one session each, created alternately
 * through the two. The processes are pushed onto `processes` as they start, so the caller's
 * cleanup stops them even when this fails. Returns each schedule's first slot (epoch ms).
 */
export async function twoProcessesFiringEverySecond(
  database: TestDatabase,
  env: Record<string, string>,
  count: number,
  processes: ServiceProcess[],
): Promise<{ a: ServiceProcess; b: ServiceProcess; firstSlots: Map<string, number> }> {
  const started = await Promise.allSettled([0, 1].map(() => startServiceProcess({ database, env })));
  for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const [a, b] = processes.slice(-2) as [ServiceProcess, ServiceProcess];

  const skill = await createSkill(a.rest, 'tick', 'Tick {n}.');
  // A fresh process compiles and JITs its code paths on first use (tsx here, on the fly), which
  // makes the first seconds of firing far slower than the rest; the tests are about processes in
  // operation, so each runs a few skill turns first.
  for (const child of [a, b]) {
    const warmSession = await createSession(child.rest);
    for (let index = 0; index < 5; index += 1) {
      await ok(child.rest('POST', `/skills/${skill.id}/run`, { session_id: warmSession, params: { n: 'warm' } }));
    }
  }
  // One session per schedule: runs of a session execute one at a time, which is not under test.
  const sessions = await Promise.all(Array.from({ length: count }, (_, index) => createSession(index % 2 ? b.rest : a.rest)));
  const schedules = await Promise.all(
    sessions.map((sessionId, index) =>
      ok((index % 2 ? b : a).rest('POST', '/scheduled-runs', { session_id: sessionId, skill_id: skill.id, params: { n: String(index) }, interval_seconds: 1, start_in_seconds: 1 })),
    ),
  );
  const firstSlots = new Map(schedules.map((schedule) => [schedule.id as string, Math.round((schedule.next_run_at as number) * 1000)]));
  return { a, b, firstSlots };
}

/**
 * What is wrong with the slots fired by one-second schedules between their first slot and `endAt`:
 * empty when every schedule fired its first slot, every slot after it exactly once on cadence, and
 * reached the end.
 */
export function slotProblems(firstSlots: Map<string, number>, bySchedule: Map<string, number[]>, endAt: number): string[] {
  const report: string[] = [];
  for (const [id, first] of firstSlots) {
    const slots = bySchedule.get(id) ?? [];
    if (slots[0] !== first) report.push(`${id}: first slot ${slots[0]} instead of ${first}`);
    const problems = irregularities(slots, 1000);
    if (problems.length > 0) report.push(`${id}: ${problems.join('; ')}`);
    if (slots.at(-1)! < endAt - 1000) report.push(`${id}: last slot ${slots.at(-1)! - endAt} ms before the end`);
  }
  return report;
}

/** The slot (`<schedule id>:<scheduled_for>`) each automatic `schedule_triggered` event names. */
export async function automaticTriggerSlots(databaseUrl: string): Promise<string[]> {
  const triggered = (await eventsOfType(databaseUrl, 'schedule_triggered')).filter((event) => event.payload.mode === 'automatic');
  return triggered.map((event) => `${event.payload.schedule_id}:${event.payload.scheduled_for}`);
}

/** How many of the fired runs each process executed (a local-mode run executes where it was created). */
export function firesPerProcess(processes: ServiceProcess[], fires: Fire[]): number[] {
  const firedRuns = new Set(fires.map((fire) => fire.runId));
  return processes.map((child) => child.messages.filter((message) => message.type === 'agent_started' && firedRuns.has(message.run_id!)).length);
}
