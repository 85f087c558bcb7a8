// Decision 6, restart side: everything persists in PostgreSQL; runs still queued when the service
// stopped are executed after the restart; the run that was executing ends failed as interrupted.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { makeHome, startTestService, type TestService } from '../../kit/service.js';
import { allEvents, createSession, getRun, lifecycle, ok, turn, waitForFinished, type RunBody, type TurnBody } from './helpers.js';

const INTERRUPTED = 'Run interrupted: the worker stopped before the run finished.';
const QUEUE_ONE_WORKER = { ANTON_SERVICE_WORKER_MODE: 'queue', ANTON_SERVICE_QUEUE_WORKER_COUNT: '1' };

let database: TestDatabase | undefined;
let home: string | undefined;
let first: TestService | undefined;
let second: TestService | undefined;

afterEach(async () => {
  await first?.dispose();
  await second?.dispose();
  await database?.drop();
  if (home) await rm(home, { recursive: true, force: true });
  first = second = database = home = undefined;
});

interface RunListBody {
  session_id: string;
  runs: Array<Pick<RunBody, 'id' | 'status' | 'prompt' | 'error'>>;
}

test('sessions, runs and events survive a restart; queued runs execute afterwards', async () => {
  database = await createTestDatabase();
  home = await makeHome();
  const firstAgent = new ScriptedAgent({ block: { steps: [{ block: true }] } });
  first = await startTestService({ database, home, agent: firstAgent, env: QUEUE_ONE_WORKER });
  const rest1 = first.rest;

  await createSession(rest1, 'persist');
  await createSession(rest1, 'other');
  const hello = await turn(rest1, 'persist', 'hello', { wait_timeout_seconds: 10 });
  expect(hello.status).toBe('completed');

  // Block the only worker, then queue more behind it, in the same session and in another one.
  const blocked = await turn(rest1, 'persist', 'block', { wait_for_completion: false });
  await firstAgent.whenStarted(2);
  const queuedSame = await turn(rest1, 'persist', 'queued in persist', { wait_for_completion: false });
  const queuedOther = await turn(rest1, 'other', 'queued in other', { wait_for_completion: false });
  expect([queuedSame.status, queuedOther.status]).toEqual(['queued', 'queued']);

  const sessionBefore = ok<Record<string, unknown>>(await rest1('GET', '/sessions/persist'), 'session');
  const eventsBefore = { persist: await allEvents(rest1, 'persist'), other: await allEvents(rest1, 'other') };

  await first.dispose();
  first = undefined;
  expect(firstAgent.started.map((input) => input.message)).toEqual(['hello', 'block']);

  const secondAgent = new ScriptedAgent();
  second = await startTestService({ database, home, agent: secondAgent, env: QUEUE_ONE_WORKER });
  const rest2 = second.rest;

  // Nothing queued is lost: both queued runs execute on the new service.
  expect(await waitForFinished(rest2, queuedSame.run_id)).toMatchObject({ status: 'completed', response: 'done', error: null });
  expect(await waitForFinished(rest2, queuedOther.run_id)).toMatchObject({ status: 'completed', response: 'done', error: null });
  expect(secondAgent.started.map((input) => input.message).sort()).toEqual(['queued in other', 'queued in persist']);

  // The run that was executing when the service stopped ended failed as interrupted.
  expect(await getRun(rest2, blocked.run_id)).toMatchObject({ status: 'failed', error: INTERRUPTED, response: '' });
  expect(await getRun(rest2, hello.run_id)).toMatchObject({ status: 'completed', response: 'done' });

  expect(ok(await rest2('GET', '/sessions/persist'), 'session after restart')).toEqual(sessionBefore);
  const duplicate = await rest2('POST', '/sessions', { session_id: 'persist' });
  expect(duplicate.status).toBe(409);
  expect(duplicate.body).toEqual({ detail: "Session 'persist' already exists." });

  const runs = ok<RunListBody>(await rest2('GET', '/sessions/persist/runs'), 'runs');
  expect(runs.runs.map((run) => [run.prompt, run.status])).toEqual([
    ['queued in persist', 'completed'],
    ['block', 'failed'],
    ['hello', 'completed'],
  ]);

  // The events from before the restart are all still there, unchanged, followed by the new ones.
  for (const session of ['persist', 'other'] as const) {
    const after = await allEvents(rest2, session);
    expect(after.slice(0, eventsBefore[session].length)).toEqual(eventsBefore[session]);
  }
  const otherTypes = lifecycle(await allEvents(rest2, 'other')).map((event) => event.event_type);
  expect(otherTypes).toEqual(['run_created', 'run_queued', 'worker_finished']);

  // The session goes on after the restart.
  const later = await turn(rest2, 'persist', 'after restart', { wait_timeout_seconds: 10 });
  expect(later).toMatchObject({ status: 'completed', reply: 'done', reused: false });

  // One audit line per event across both lifetimes of the service (same home).
  await second.services.auditLog.flush();
  const lines = (await readFile(path.join(home, '.anton', 'service', 'audit.log.jsonl'), 'utf8')).trim().split('\n');
  const ids = lines.map((line) => (JSON.parse(line) as { id: number }).id).sort((a, b) => a - b);
  const stored = await second.db.event.findMany({ orderBy: { id: 'asc' }, select: { id: true } });
  expect(ids).toEqual(stored.map((event) => Number(event.id)));
});

test('stopping while a client waits on a run: the stop is prompt and the client gets an answer', async () => {
  database = await createTestDatabase();
  const agent = new ScriptedAgent({}, { steps: [{ block: true }] });
  first = await startTestService({ database, agent });
  await createSession(first.rest, 'stopping');
  const waiting = first.rest('POST', '/sessions/stopping/turn', { message: 'long', wait_timeout_seconds: 60 }).then(
    (response) => ({ status: response.status, body: response.body as TurnBody }),
    (error: unknown) => ({ status: 0, body: null, error: String(error) }),
  );
  await agent.whenStarted(1);
  const runId = agent.started[0]!.runId;

  const before = Date.now();
  await first.dispose();
  first = undefined;
  const stopMs = Date.now() - before;
  // Stopping interrupts the run at once (decision 6), so nothing is left for the stop to wait for.
  expect(stopMs).toBeLessThan(5000);
  const answer = await waiting;
  expect(answer).toMatchObject({ status: 200, body: { run_id: runId } });
  expect(['running', 'failed']).toContain(answer.body?.status);
});
