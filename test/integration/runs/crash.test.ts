// Decision 6: a run whose worker process dies is detected through its lapsed lease and finished as
// `failed` by another process on the same database; metrics stop counting it as running and its
// session can be used again.
import { INTERRUPTED_ERROR } from '../../../src/runs/status.js';
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { startServiceProcess, type ServiceProcess } from '../../kit/serviceProcess.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { createSession, getRun, metrics, turn, waitForFinished } from './helpers.js';

/** Starting a service process (tsx, Apollo, Prisma) takes seconds on a busy machine. */
const CHILD_TEST_TIMEOUT_MS = 60_000;

// The message must stay exact: clients match on it.
const INTERRUPTED = 'Run interrupted: the worker stopped before the run finished.';

let database: TestDatabase | undefined;
let child: ServiceProcess | undefined;
let survivor: TestService | undefined;

afterEach(async () => {
  await child?.dispose();
  await survivor?.dispose();
  await database?.drop();
  child = survivor = database = undefined;
});

test('the engine uses the contract text for interrupted runs', () => {
  expect(INTERRUPTED_ERROR).toBe(INTERRUPTED);
});

describe.each(['local', 'queue'] as const)('%s mode: a worker killed with SIGKILL', (mode) => {
  test('its run ends failed as interrupted, metrics drop it, the session works again', async () => {
    database = await createTestDatabase();
    const env = { ANTON_SERVICE_WORKER_MODE: mode, ANTON_SERVICE_RUN_LEASE_SECONDS: '1', ANTON_SERVICE_QUEUE_WORKER_COUNT: '1' };
    // The survivor runs in local mode: it has no queue workers that could take the child's run,
    // so both can start at once; it still sweeps lapsed leases like every process does.
    const survivorEnv = { ANTON_SERVICE_WORKER_MODE: 'local', ANTON_SERVICE_RUN_LEASE_SECONDS: '1' };
    const [childStart, survivorStart] = await Promise.allSettled([
      startServiceProcess({ database, env, fallback: { steps: [{ block: true }] } }),
      startTestService({ database, env: survivorEnv }),
    ]);
    // Keep whatever started, so that afterEach disposes it even when the other failed.
    if (childStart.status === 'fulfilled') child = childStart.value;
    if (survivorStart.status === 'fulfilled') survivor = survivorStart.value;
    if (childStart.status === 'rejected') throw childStart.reason;
    if (survivorStart.status === 'rejected') throw survivorStart.reason;
    if (!child || !survivor) throw new Error('unreachable');
    const sessionId = `crash-${mode}`;
    await createSession(child.rest, sessionId);
    const started = await turn(child.rest, sessionId, 'never finishes', { wait_for_completion: false });
    expect(started.status).toBe(mode === 'queue' ? 'queued' : 'running');
    await child.waitForMessage((m) => m.type === 'agent_started' && m.run_id === started.run_id, 10_000, 'the child to start the run');

    expect(await getRun(survivor.rest, started.run_id)).toMatchObject({ status: 'running', completed_at: null });
    expect((await metrics(survivor.rest)).running).toBe(1);

    const exit = await child.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const killedAt = Date.now();

    const finished = await waitForFinished(survivor.rest, started.run_id, 6000);
    const detectedAfterMs = Date.now() - killedAt;
    expect(finished).toMatchObject({ status: 'failed', error: INTERRUPTED, response: '' });
    expect(finished.completed_at).not.toBeNull();
    // Lease 1 s, sweep every 0.5 s: well within a few seconds.
    expect(detectedAfterMs).toBeLessThan(5000);

    const after = await metrics(survivor.rest);
    expect(after).toMatchObject({ running: 0, queued: 0, failed: 1, run_count: 1 });
    expect(after.status_counts).toEqual({ failed: 1 });

    // The session is no longer held by the dead run.
    const next = await turn(survivor.rest, sessionId, 'after the crash', { wait_timeout_seconds: 10 });
    expect(next).toMatchObject({ status: 'completed', reply: 'done', error: null, reused: false });
    expect((await metrics(survivor.rest)).completed).toBe(1);
  }, CHILD_TEST_TIMEOUT_MS);
});
