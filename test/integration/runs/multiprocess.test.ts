// Two service processes on one PostgreSQL share the queue: every run executes exactly once, and the
// runs of a session never overlap and execute in the order they were sent, whichever process
// takes them.
import { ScriptedAgent, type Script } from '../../kit/agents.js';
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { startServiceProcess, type ServiceProcess } from '../../kit/serviceProcess.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { RecordingAgent, allEvents, createSession, duplicates, metrics, turn, type Rest } from './helpers.js';

/** Starting a service process (tsx, Apollo, Prisma) takes seconds on a busy machine. */
const CHILD_TEST_TIMEOUT_MS = 60_000;

const SESSIONS = 10;
const RUNS_PER_SESSION = 4;
const TOTAL = SESSIONS * RUNS_PER_SESSION;
const QUEUE_TWO_WORKERS = { ANTON_SERVICE_WORKER_MODE: 'queue', ANTON_SERVICE_QUEUE_WORKER_COUNT: '2' };
const SCRIPT: Script = { steps: [{ waitMs: 25 }, { reply: 'ok' }] };

let database: TestDatabase | undefined;
let child: ServiceProcess | undefined;
let inProcess: TestService | undefined;

afterEach(async () => {
  await child?.dispose();
  await inProcess?.dispose();
  await database?.drop();
  child = inProcess = database = undefined;
});

interface Execution {
  process: 'child' | 'in-process';
  runId: string;
  sessionId: string;
  start: number;
  end: number;
}

test('40 runs of 10 sessions through two processes: each executes once, in order, never overlapping', async () => {
  database = await createTestDatabase();
  const recorder = new RecordingAgent(new ScriptedAgent({}, SCRIPT));
  const [childStart, localStart] = await Promise.allSettled([
    startServiceProcess({ database, env: { ...QUEUE_TWO_WORKERS, ANTON_TEST_POLL_MS: '200' }, fallback: SCRIPT }),
    startTestService({ database, agent: recorder, env: QUEUE_TWO_WORKERS }),
  ]);
  if (childStart.status === 'fulfilled') child = childStart.value;
  if (localStart.status === 'fulfilled') inProcess = localStart.value;
  if (childStart.status === 'rejected') throw childStart.reason;
  if (localStart.status === 'rejected') throw localStart.reason;
  const remote = child!;
  const local = inProcess!;
  const via: Rest[] = [local.rest, remote.rest];

  // Each session's turns are sent one after the other (that is the order they must execute in),
  // alternating between the two processes; the sessions are sent concurrently.
  const sessionIds = Array.from({ length: SESSIONS }, (_, index) => `mp-${index}`);
  const submitted = new Map<string, string[]>();
  await Promise.all(
    sessionIds.map(async (sessionId, index) => {
      await createSession(via[index % 2]!, sessionId);
      const ids: string[] = [];
      submitted.set(sessionId, ids);
      for (let k = 0; k < RUNS_PER_SESSION; k += 1) {
        const sent = await turn(via[(index + k) % 2]!, sessionId, `${sessionId} message ${k}`, { wait_for_completion: false });
        expect(sent.status).toBe('queued');
        ids.push(sent.run_id);
      }
    }),
  );
  const allRunIds = [...submitted.values()].flat();
  expect(new Set(allRunIds).size).toBe(TOTAL);

  await waitUntil(async () => ((await metrics(local.rest)).completed === TOTAL ? true : undefined), 30_000, 'all runs to complete');
  const final = await metrics(local.rest);
  expect(final).toMatchObject({ run_count: TOTAL, completed: TOTAL, running: 0, queued: 0, failed: 0, cancelled: 0 });

  // The child reports on stdout; wait until its report of every run it finished has arrived.
  const childExecutions = (): Execution[] => {
    const starts = remote.messages.filter((m) => m.type === 'agent_started');
    const ends = new Map(remote.messages.filter((m) => m.type === 'agent_finished').map((m) => [m.run_id, m.at]));
    return starts.map((m) => ({ process: 'child', runId: m.run_id!, sessionId: m.session_id!, start: m.at!, end: ends.get(m.run_id) ?? NaN }));
  };
  await waitUntil(
    () => (childExecutions().length + recorder.records.length >= TOTAL && childExecutions().every((e) => !Number.isNaN(e.end)) ? true : undefined),
    10_000,
    'every execution to be reported',
  );
  const executions: Execution[] = [
    ...childExecutions(),
    ...recorder.records.map((r): Execution => ({ process: 'in-process', runId: r.runId, sessionId: r.sessionId, start: r.start, end: r.end ?? NaN })),
  ];

  // Exactly once: no run twice, none missing.
  expect(duplicates(executions.map((e) => e.runId))).toEqual([]);
  expect(executions.map((e) => e.runId).sort()).toEqual([...allRunIds].sort());
  // Both processes took part in draining the one queue.
  expect(executions.filter((e) => e.process === 'child').length).toBeGreaterThan(0);
  expect(executions.filter((e) => e.process === 'in-process').length).toBeGreaterThan(0);

  for (const sessionId of sessionIds) {
    const ofSession = executions.filter((e) => e.sessionId === sessionId).sort((a, b) => a.start - b.start || a.end - b.end);
    expect(ofSession.map((e) => e.runId)).toEqual(submitted.get(sessionId));
    for (let index = 1; index < ofSession.length; index += 1) {
      const previous = ofSession[index - 1]!;
      const current = ofSession[index]!;
      if (current.start < previous.end) {
        throw new Error(`runs of ${sessionId} overlap: ${JSON.stringify(previous)} and ${JSON.stringify(current)}`);
      }
    }
    // One worker_finished per run: no run was dequeued twice.
    const finishedEvents = (await allEvents(local.rest, sessionId)).filter((e) => e.event_type === 'worker_finished');
    expect(finishedEvents.map((e) => e.run_id).sort()).toEqual([...submitted.get(sessionId)!].sort());
  }
}, CHILD_TEST_TIMEOUT_MS);
