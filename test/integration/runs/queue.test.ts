// Queue mode with one worker: queued replies and events, cancelling running and queued runs,
// worker_finished events, and wait_timeout_seconds (decision 5).
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { allEvents, createSession, getRun, lifecycle, ok, turn, waitForFinished, type EventBody, type TurnBody } from './helpers.js';

const QUEUE_ONE_WORKER = { ANTON_SERVICE_WORKER_MODE: 'queue', ANTON_SERVICE_QUEUE_WORKER_COUNT: '1' };

let service: TestService | undefined;
let agent: ScriptedAgent;

beforeEach(async () => {
  agent = new ScriptedAgent({ block: { steps: [{ reply: 'partial ' }, { block: true }, { reply: 'released' }] } });
  service = await startTestService({ env: QUEUE_ONE_WORKER, agent });
});

afterEach(async () => {
  agent.release();
  await service?.dispose();
  service = undefined;
});

function svc(): TestService {
  if (!service) throw new Error('no service');
  return service;
}

const types = (events: EventBody[]): string[] => lifecycle(events).map((event) => event.event_type);
const startedMessages = (): string[] => agent.started.map((input) => input.message);

async function whenAgentStarted(count: number): Promise<void> {
  await waitUntil(() => (agent.started.length >= count ? true : undefined), 10_000, `${count} run(s) to start executing`);
}

test('a turn without waiting is queued, announced with run_queued, then executed by worker 0', async () => {
  const { rest } = svc();
  await createSession(rest, 'q');
  const queued = await turn(rest, 'q', 'hello', { wait_for_completion: false });
  expect(queued).toMatchObject({ status: 'queued', reply: '', error: null, reused: false, tool_calls: 0, total_tokens: 0 });
  expect(queued.run).toMatchObject({ id: queued.run_id, status: 'queued', worker_mode: 'queue', completed_at: null });

  const finished = await waitForFinished(rest, queued.run_id);
  expect(finished).toMatchObject({ status: 'completed', response: 'done', error: null });
  const events = lifecycle(await allEvents(rest, 'q'));
  expect(types(events)).toEqual(['run_created', 'run_queued', 'worker_finished']);
  expect(events[0]?.payload).toEqual({ worker_mode: 'queue', idempotency_key: '' });
  expect(events[1]?.payload).toEqual({ queue_depth: 0 });
  expect(events[2]?.payload).toEqual({ worker_index: 0 });
  expect(events.every((event) => event.run_id === queued.run_id)).toBe(true);
});

test('cancel: a running run ends cancelled quickly; a queued one at once and is never executed', async () => {
  const { rest } = svc();
  for (const id of ['a', 'b', 'c']) await createSession(rest, id);

  const running = await turn(rest, 'a', 'block', { wait_for_completion: false });
  expect(running.status).toBe('queued');
  await whenAgentStarted(1);
  expect((await getRun(rest, running.run_id)).status).toBe('running');

  // One worker, and it is busy: these two wait in the queue.
  const second = await turn(rest, 'b', 'second', { wait_for_completion: false });
  const third = await turn(rest, 'c', 'third', { wait_for_completion: false });
  expect(second.status).toBe('queued');
  expect(third.status).toBe('queued');
  const queuedPayload = async (session: string) => (await allEvents(rest, session)).find((e) => e.event_type === 'run_queued')?.payload;
  expect(await queuedPayload('b')).toEqual({ queue_depth: 0 });
  expect(await queuedPayload('c')).toEqual({ queue_depth: 1 });

  // Cancelling the queued run finishes it in the same request.
  const cancelQueued = await rest('POST', `/runs/${second.run_id}/cancel`);
  expect(ok(cancelQueued, 'cancel queued')).toEqual({
    run_id: second.run_id,
    status: 'cancellation_requested',
    cancel_requested: true,
    message: 'Cancellation has been requested.',
  });
  const secondNow = await getRun(rest, second.run_id);
  expect(secondNow).toMatchObject({ status: 'cancelled', cancel_requested: true, error: null });
  expect(secondNow.completed_at).not.toBeNull();

  // Cancelling the running run interrupts the agent where it waits.
  const cancelAt = Date.now();
  const cancelRunning = await rest('POST', `/runs/${running.run_id}/cancel`);
  expect(ok(cancelRunning, 'cancel running')).toMatchObject({ run_id: running.run_id, status: 'cancellation_requested', cancel_requested: true });
  const runningNow = await waitForFinished(rest, running.run_id, 5000);
  expect(Date.now() - cancelAt).toBeLessThan(2000);
  expect(runningNow).toMatchObject({ status: 'cancelled', cancel_requested: true, error: null, response: 'partial ' });

  // The worker moves on to the third run; the cancelled queued run never reaches the agent.
  expect(await waitForFinished(rest, third.run_id)).toMatchObject({ status: 'completed', response: 'done' });
  expect(startedMessages()).toEqual(['block', 'third']);
  expect(agent.started.map((input) => input.runId)).not.toContain(second.run_id);

  const eventsA = lifecycle(await allEvents(rest, 'a'));
  expect(types(eventsA)).toEqual(['run_created', 'run_queued', 'run_cancel_requested', 'worker_finished']);
  expect(eventsA.at(-1)?.payload).toEqual({ worker_index: 0 });
  expect(types(await allEvents(rest, 'b'))).toEqual(['run_created', 'run_queued', 'run_cancel_requested']);
  expect(types(await allEvents(rest, 'c'))).toEqual(['run_created', 'run_queued', 'worker_finished']);

  // A finished run cannot be cancelled again.
  expect(ok(await rest('POST', `/runs/${second.run_id}/cancel`), 'cancel again')).toMatchObject({
    run_id: second.run_id,
    status: 'cancelled',
    cancel_requested: false,
    message: 'Run already finished.',
  });
});

test('a caller waiting on a run that is cancelled gets the cancelled result', async () => {
  const { rest } = svc();
  await createSession(rest, 'w');
  const waiting = turn(rest, 'w', 'block', { wait_timeout_seconds: 30 });
  await whenAgentStarted(1);
  const runId = agent.started[0]!.runId;
  ok(await rest('POST', `/runs/${runId}/cancel`), 'cancel');
  const result = await waiting;
  expect(result).toMatchObject({ run_id: runId, status: 'cancelled', reply: 'partial ', error: null, reused: false });
});

test('wait_timeout_seconds is honoured: the reply carries the real status and the run goes on', async () => {
  const { rest } = svc();
  await createSession(rest, 'slow');
  await createSession(rest, 'behind');
  const timed = async (send: () => Promise<TurnBody>): Promise<TurnBody> => {
    const before = Date.now();
    const result = await send();
    const elapsed = Date.now() - before;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1000);
    return result;
  };

  // A fresh run that the idle worker takes at once.
  const executing = await timed(() => turn(rest, 'slow', 'block', { wait_timeout_seconds: 0.3 }));
  const startedBeforeReply = agent.started.some((input) => input.runId === executing.run_id);
  // The idle worker claims the run within milliseconds, so this is `running`; only if the claim
  // had not happened within the 0.3 s would `queued` be the honest answer.
  if (startedBeforeReply) expect(executing.status).toBe('running');
  else expect(['queued', 'running']).toContain(executing.status);
  expect(executing).toMatchObject({ reply: '', error: null, reused: false });
  expect(executing.run.status).toBe(executing.status);
  await whenAgentStarted(1);

  // A second run of the same session waits behind the blocked one.
  const keyed = await turn(rest, 'slow', 'second', { wait_for_completion: false, idempotency_key: 'k' });
  expect(keyed.status).toBe('queued');
  // A run of another session waits for the one worker.
  const waitingInQueue = await timed(() => turn(rest, 'behind', 'next', { wait_timeout_seconds: 0.3 }));
  expect(waitingInQueue).toMatchObject({ status: 'queued', reply: '', error: null, reused: false });
  expect(waitingInQueue.run.status).toBe('queued');
  // Waiting again on the queued run through its idempotency key times out the same way.
  const sameKeyWhileQueued = await timed(() => turn(rest, 'slow', 'other text', { idempotency_key: 'k', wait_timeout_seconds: 0.3 }));
  expect(sameKeyWhileQueued).toMatchObject({ run_id: keyed.run_id, status: 'queued', reused: true });

  agent.release();
  expect(await waitForFinished(rest, executing.run_id)).toMatchObject({ status: 'completed', response: 'partial released' });
  expect(await waitForFinished(rest, waitingInQueue.run_id)).toMatchObject({ status: 'completed', response: 'done' });
  expect(await waitForFinished(rest, keyed.run_id)).toMatchObject({ status: 'completed', response: 'done' });
});

test('wait_timeout_seconds on a run that is executing: the reply says running', async () => {
  const { rest } = svc();
  await createSession(rest, 'exec');
  const started = await turn(rest, 'exec', 'block', { wait_for_completion: false, idempotency_key: 'exec-key' });
  expect(started.status).toBe('queued');
  await whenAgentStarted(1);
  const before = Date.now();
  const again = await turn(rest, 'exec', 'block', { idempotency_key: 'exec-key', wait_timeout_seconds: 0.3 });
  const elapsed = Date.now() - before;
  expect(elapsed).toBeGreaterThanOrEqual(250);
  expect(elapsed).toBeLessThan(1000);
  expect(again).toMatchObject({ run_id: started.run_id, status: 'running', reused: true });
  agent.release();
  expect(await waitForFinished(rest, started.run_id)).toMatchObject({ status: 'completed', response: 'partial released' });
});
