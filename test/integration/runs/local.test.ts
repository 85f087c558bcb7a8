// Local mode: turns of one session execute one at a time in the order sent, different sessions in
// parallel; wait_timeout_seconds is honoured (decision 5); cancel; and the audit log.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { RecordingAgent, createSession, getRun, ok, turn, waitForFinished } from './helpers.js';

let service: TestService | undefined;
/** More services on the same database; disposed before `service`, which drops the database. */
const extra: TestService[] = [];
let scripted: ScriptedAgent;
let agent: RecordingAgent;

beforeEach(async () => {
  scripted = new ScriptedAgent(
    { block: { steps: [{ reply: 'partial ' }, { block: true }, { reply: 'released' }] } },
    { steps: [{ waitMs: 30 }, { reply: 'done' }], usage: { inputTokens: 10, outputTokens: 5 } },
  );
  agent = new RecordingAgent(scripted);
  service = await startTestService({ agent });
});

afterEach(async () => {
  scripted.release();
  await Promise.all(extra.splice(0).map((other) => other.dispose()));
  await service?.dispose();
  service = undefined;
});

function svc(): TestService {
  if (!service) throw new Error('no service');
  return service;
}

async function whenAgentStarted(count: number): Promise<void> {
  await waitUntil(() => (agent.records.length >= count ? true : undefined), 10_000, `${count} run(s) to start executing`);
}

test('turns of one session execute one at a time, in the order they were sent', async () => {
  const { rest } = svc();
  await createSession(rest, 'serial');
  const sent: string[] = [];
  for (let index = 0; index < 6; index += 1) {
    const started = await turn(rest, 'serial', `message ${index}`, { wait_for_completion: false });
    expect(started).toMatchObject({ status: 'running', reused: false });
    sent.push(started.run_id);
  }
  for (const runId of sent) expect(await waitForFinished(rest, runId)).toMatchObject({ status: 'completed', response: 'done' });

  const executed = agent.records.filter((record) => record.sessionId === 'serial');
  expect(executed.map((record) => record.runId)).toEqual(sent);
  expect(executed.map((record) => record.concurrentInSession)).toEqual(sent.map(() => 0));
  for (let index = 1; index < executed.length; index += 1) {
    expect(executed[index]!.start).toBeGreaterThanOrEqual(executed[index - 1]!.end!);
  }
});

test('two local-mode processes on one database still execute a session\'s turns one at a time, in order', async () => {
  const { rest, database } = svc();
  const otherAgent = new RecordingAgent(new ScriptedAgent({}, { steps: [{ waitMs: 30 }, { reply: 'done' }] }));
  const other = await startTestService({ database, agent: otherAgent });
  extra.push(other);
  await createSession(rest, 'shared');
  const sent: string[] = [];
  // Alternate between the processes: each one executes the turns it accepted (local mode).
  for (let index = 0; index < 8; index += 1) {
    const via = index % 2 === 0 ? rest : other.rest;
    sent.push((await turn(via, 'shared', `message ${index}`, { wait_for_completion: false })).run_id);
  }
  for (const runId of sent) expect(await waitForFinished(rest, runId)).toMatchObject({ status: 'completed', response: 'done' });

  const executed = [...agent.records, ...otherAgent.records].sort((a, b) => a.start - b.start || a.end! - b.end!);
  expect(executed.map((record) => record.runId)).toEqual(sent);
  for (let index = 1; index < executed.length; index += 1) {
    expect(executed[index]!.start).toBeGreaterThanOrEqual(executed[index - 1]!.end!);
  }
  // Each process executed exactly the turns it accepted.
  expect(otherAgent.records.map((record) => record.runId)).toEqual(sent.filter((_, index) => index % 2 === 1));
});

test('runs of different sessions execute in parallel', async () => {
  const { rest } = svc();
  await createSession(rest, 'p1');
  await createSession(rest, 'p2');
  const first = await turn(rest, 'p1', 'block', { wait_for_completion: false });
  const second = await turn(rest, 'p2', 'block', { wait_for_completion: false });
  // Both blocked runs execute at the same time: neither waits for the other to finish.
  await whenAgentStarted(2);
  expect(agent.records.map((record) => record.sessionId).sort()).toEqual(['p1', 'p2']);
  expect(agent.records.every((record) => record.end === null)).toBe(true);
  scripted.release();
  expect(await waitForFinished(rest, first.run_id)).toMatchObject({ status: 'completed', response: 'partial released' });
  expect(await waitForFinished(rest, second.run_id)).toMatchObject({ status: 'completed', response: 'partial released' });
});

test('wait_timeout_seconds is honoured: the reply says running and the run goes on', async () => {
  const { rest } = svc();
  await createSession(rest, 'slow');
  const before = Date.now();
  const result = await turn(rest, 'slow', 'block', { wait_timeout_seconds: 0.3 });
  const elapsed = Date.now() - before;
  expect(elapsed).toBeGreaterThanOrEqual(250);
  expect(elapsed).toBeLessThan(1000);
  expect(result).toMatchObject({ status: 'running', reply: '', error: null, reused: false });
  expect(result.run.status).toBe('running');
  expect((await getRun(rest, result.run_id)).completed_at).toBeNull();

  scripted.release();
  expect(await waitForFinished(rest, result.run_id)).toMatchObject({ status: 'completed', response: 'partial released' });
});

test('cancel of a running run: it ends cancelled with its partial reply, and the next turn runs', async () => {
  const { rest } = svc();
  await createSession(rest, 'cancel');
  const running = await turn(rest, 'cancel', 'block', { wait_for_completion: false });
  // Sent while the first holds the session: it waits, then executes after the cancel.
  const next = await turn(rest, 'cancel', 'after', { wait_for_completion: false });
  await whenAgentStarted(1);
  const cancelAt = Date.now();
  expect(ok(await rest('POST', `/runs/${running.run_id}/cancel`), 'cancel')).toEqual({
    run_id: running.run_id,
    status: 'cancellation_requested',
    cancel_requested: true,
    message: 'Cancellation has been requested.',
  });
  expect(await waitForFinished(rest, running.run_id, 5000)).toMatchObject({ status: 'cancelled', response: 'partial ', cancel_requested: true });
  expect(Date.now() - cancelAt).toBeLessThan(2000);
  expect(await waitForFinished(rest, next.run_id)).toMatchObject({ status: 'completed', response: 'done' });
  expect(agent.records.map((record) => record.message)).toEqual(['block', 'after']);
});

test('cancel reaches the process that executes the run', async () => {
  const { rest, database } = svc();
  const other = await startTestService({ database });
  extra.push(other);
  await createSession(rest, 'remote-cancel');
  const running = await turn(rest, 'remote-cancel', 'block', { wait_for_completion: false });
  await whenAgentStarted(1);
  const cancelAt = Date.now();
  expect(ok(await other.rest('POST', `/runs/${running.run_id}/cancel`), 'cancel via the other process')).toMatchObject({
    status: 'cancellation_requested',
    cancel_requested: true,
  });
  expect(await waitForFinished(other.rest, running.run_id, 5000)).toMatchObject({ status: 'cancelled', response: 'partial ' });
  expect(Date.now() - cancelAt).toBeLessThan(2000);
});

test('the audit log has one line per event, keys sorted', async () => {
  const current = svc();
  const { rest } = current;
  await createSession(rest, 'audit');
  await createSession(rest, 'audit-2');
  const done = await turn(rest, 'audit', 'hello');
  expect(done.status).toBe('completed');
  await turn(rest, 'audit-2', 'hello again');
  await current.services.events.append({
    sessionId: 'audit',
    runId: done.run_id,
    eventType: 'custom',
    payload: { zeta: 1, alpha: { beta: [{ y: 1, x: 2 }], a: null } },
  });
  await current.services.auditLog.flush();

  const file = path.join(current.home, '.anton', 'service', 'audit.log.jsonl');
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  const stored = await current.db.event.findMany({ orderBy: { id: 'asc' } });
  expect(lines).toHaveLength(stored.length);

  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const [index, record] of parsed.entries()) {
    expect(Object.keys(record)).toEqual(['event_type', 'id', 'payload', 'run_id', 'session_id', 'ts']);
    // Compact JSON, exactly what serialising the parsed line gives back.
    expect(JSON.stringify(record)).toBe(lines[index]);
  }
  const byId = new Map(parsed.map((record) => [record.id as number, record]));
  expect(byId.size).toBe(stored.length);
  for (const event of stored) {
    const record = byId.get(Number(event.id));
    expect(record).toMatchObject({ event_type: event.eventType, run_id: event.runId, session_id: event.sessionId, payload: event.payload });
    expect(record?.ts).toBeCloseTo(event.ts.getTime() / 1000, 3);
  }
  const custom = lines.find((line) => line.includes('"event_type":"custom"'));
  expect(custom).toContain('"payload":{"alpha":{"a":null,"beta":[{"x":2,"y":1}]},"zeta":1}');
});
