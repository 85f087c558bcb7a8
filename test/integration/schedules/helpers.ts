import pg from 'pg';
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
