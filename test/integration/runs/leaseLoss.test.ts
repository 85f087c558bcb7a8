// Decision 6 from the other side: a worker that was only paused (a long GC pause, a stopped VM, a
// network partition) past its lease finds its run already failed as interrupted and its session
// handed on. When it resumes it must stop executing that run: otherwise it keeps working (tool
// calls, files in the workspace, events) for a run that is over, while the session's next run
// executes at the same time.
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { startServiceProcess, type ServiceProcess } from '../../kit/serviceProcess.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { createSession, getRun, turn, waitForFinished } from './helpers.js';

/** Starting a service process (tsx, Apollo, Prisma) takes seconds on a busy machine. */
const CHILD_TEST_TIMEOUT_MS = 60_000;

const INTERRUPTED = 'Run interrupted: the worker stopped before the run finished.';

let database: TestDatabase | undefined;
let child: ServiceProcess | undefined;
let survivor: TestService | undefined;

afterEach(async () => {
  // A test that failed while the child was stopped must not leave it stopped (it could not exit).
  try {
    if (child) process.kill(child.pid, 'SIGCONT');
  } catch {
    // it has exited already
  }
  await child?.dispose();
  await survivor?.dispose();
  await database?.drop();
  child = survivor = database = undefined;
});

test('a worker paused past its lease stops executing the run that was failed meanwhile', async () => {
  database = await createTestDatabase();
  const env = { ANTON_SERVICE_WORKER_MODE: 'local', ANTON_SERVICE_RUN_LEASE_SECONDS: '1' };
  const [childStart, survivorStart] = await Promise.allSettled([
    startServiceProcess({ database, env, fallback: { steps: [{ block: true }] } }),
    startTestService({ database, env }),
  ]);
  if (childStart.status === 'fulfilled') child = childStart.value;
  if (survivorStart.status === 'fulfilled') survivor = survivorStart.value;
  if (childStart.status === 'rejected') throw childStart.reason;
  if (survivorStart.status === 'rejected') throw survivorStart.reason;
  const paused = child!;
  const other = survivor!;

  await createSession(paused.rest, 'paused');
  const first = await turn(paused.rest, 'paused', 'long work', { wait_for_completion: false });
  await paused.waitForMessage((m) => m.type === 'agent_started' && m.run_id === first.run_id, 10_000, 'the child to start the run');

  process.kill(paused.pid, 'SIGSTOP');
  expect(await waitForFinished(other.rest, first.run_id, 6000)).toMatchObject({ status: 'failed', error: INTERRUPTED });
  // The session is free again: its next turn executes on the other process.
  const next = await turn(other.rest, 'paused', 'next', { wait_timeout_seconds: 10 });
  expect(next.status).toBe('completed');

  process.kill(paused.pid, 'SIGCONT');
  // Within a few lease periods of resuming, the child must notice that the run is no longer its
  // own and abort it (the scripted agent returns only when aborted).
  const stopped = await paused.waitForMessage(
    (m) => m.type === 'agent_finished' && m.run_id === first.run_id,
    5000,
    'the resumed child to stop executing the run it lost',
  );
  expect(stopped.outcome).toBe('error');
  expect(await getRun(other.rest, first.run_id)).toMatchObject({ status: 'failed', error: INTERRUPTED });
}, CHILD_TEST_TIMEOUT_MS);
