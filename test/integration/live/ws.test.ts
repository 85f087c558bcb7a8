// The graphql-ws path applies the service's own error masking, query limits and per-connection
// subscription limit; runUpdates and approvalUpdates stream changes as they commit.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { eventIds, Resources, sessionWithRun, subscribe, subscribeEvents, until, wsClient, type Subscription } from './liveKit.js';

let service: TestService;
let agent: ScriptedAgent;
const resources = new Resources();

beforeAll(async () => {
  agent = new ScriptedAgent({ slow: { steps: [{ block: true }, { reply: 'finally' }] } });
  service = await startTestService({ agent, env: { ANTON_GRAPHQL_MAX_DEPTH: '3' } });
  await sessionWithRun(service, 'ws');
});
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

/**
 * A runUpdates subscription by session yields only when a run changes: announce a change of the
 * session's seed run until one arrives, which shows the subscription is registered.
 */
async function untilRunUpdate(sub: Subscription<unknown>): Promise<void> {
  const seedRun = await service.db.run.findFirstOrThrow({ where: { sessionId: 'ws' }, orderBy: { createdAt: 'asc' } });
  await until(async () => {
    await service.services.signals.publish({ kind: 'run-updated', runId: seedRun.id, sessionId: 'ws' });
    return sub.items.length > 0 || sub.errors.length > 0;
  }, 'the runUpdates subscription to be registered');
}

test('an internal error in a subscription is masked; a NOT_FOUND keeps its message and code', async () => {
  const { client, raw } = wsClient(service, resources);
  const sessions = service.services.sessions;
  const original = sessions.get;
  sessions.get = () => Promise.reject(new Error('secret internals'));
  const failed = subscribeEvents(client, 'ws', 0);
  try {
    await until(() => failed.errors.length > 0 || failed.failure !== undefined, 'the subscription to fail');
  } finally {
    sessions.get = original;
  }
  expect(failed.errors).toEqual([expect.objectContaining({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
  await failed.ended;

  const missing = subscribeEvents(client, 'no-such-session', 0);
  await missing.ended;
  expect(missing.errors).toEqual([expect.objectContaining({ message: "Unknown session_id 'no-such-session'.", extensions: { code: 'NOT_FOUND' } })]);
  expect(raw.join('\n')).not.toContain('secret internals');
  expect(JSON.stringify([failed, missing])).not.toContain('secret internals');
});

test('query depth limits apply on the WebSocket path', async () => {
  const { client } = wsClient(service, resources);
  const deep = subscribe(client, 'subscription { runUpdates(sessionId: "ws") { events { events { id } } } }');
  await deep.ended;
  expect(deep.errors).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TOO_COMPLEX' } })]);
  expect(deep.items).toEqual([]);
  // At the limit is fine.
  const shallow = subscribe<{ runUpdates: { session: { id: string } } }>(client, 'subscription { runUpdates(sessionId: "ws") { session { id } } }');
  await untilRunUpdate(shallow);
  expect(shallow.errors).toEqual([]);
  expect(shallow.items[0]).toEqual({ runUpdates: { session: { id: 'ws' } } });
});

test('a connection runs at most 20 subscriptions at once: the 21st is refused with TOO_MANY_SUBSCRIPTIONS', async () => {
  const { client } = wsClient(service, resources);
  const subs = Array.from({ length: 20 }, () => subscribeEvents(client, 'ws', 0));
  // Each of the 20 gets its first (replayed) event: all are running.
  await until(() => subs.every((s) => eventIds(s).length > 0 || s.errors.length > 0 || s.failure !== undefined), 'the 20 subscriptions to start');
  expect(subs.map((s) => s.errors.map((e) => e.extensions?.code))).toEqual(subs.map(() => []));

  const extra = subscribeEvents(client, 'ws', 0);
  await extra.ended;
  expect(extra.errors).toEqual([expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })]);
  expect(subs.every((s) => !s.completed && s.failure === undefined)).toBe(true);

  // Ending one frees a slot.
  subs[0]!.unsubscribe();
  const replacement = await waitUntil(
    async () => {
      const next = subscribeEvents(client, 'ws', 0);
      await until(() => eventIds(next).length > 0 || next.errors.length > 0, 'the replacement to start or fail');
      // Refused while the completion of subs[0] had not reached the server yet: try again.
      return next.errors.length === 0 ? next : undefined;
    },
    5000,
    'a slot to free up',
  );
  expect(eventIds(replacement).length).toBeGreaterThan(0);
});

test('runUpdates follows a run started without waiting through to COMPLETED', async () => {
  const { client } = wsClient(service, resources);
  type Update = { runUpdates: { id: string; status: string; response: string | null } };
  const bySession = subscribe<Update>(client, 'subscription { runUpdates(sessionId: "ws") { id status response } }');
  await untilRunUpdate(bySession);

  const started = agent.started.length;
  const turn = await service.rest('POST', '/sessions/ws/turn', { message: 'slow', wait_for_completion: false });
  expect(turn.status).toBe(200);
  const runId = (turn.body as { run_id: string }).run_id;
  await agent.whenStarted(started + 1);

  // By run id: the current state comes first.
  const byRun = subscribe<Update>(client, 'subscription($id: ID!) { runUpdates(runId: $id) { id status response } }', { id: runId });
  await until(() => byRun.items.length > 0, 'the current state of the run');
  expect(byRun.items[0]!.runUpdates).toMatchObject({ id: runId, status: 'RUNNING', response: null });

  agent.release();
  const statuses = (items: Update[]) => items.filter((u) => u.runUpdates.id === runId).map((u) => u.runUpdates.status);
  await until(() => statuses(bySession.items).includes('COMPLETED') && statuses(byRun.items).includes('COMPLETED'), 'COMPLETED on both');
  expect(bySession.errors).toEqual([]);
  expect(byRun.errors).toEqual([]);
  for (const seen of [statuses(bySession.items), statuses(byRun.items)]) {
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(seen.indexOf('COMPLETED')).toBe(seen.length - 1);
  }
  expect(statuses(bySession.items)[0]).toBe('RUNNING'); // it saw the run before it finished
  const final = [...bySession.items].reverse().find((u) => u.runUpdates.id === runId);
  expect(final?.runUpdates.response).toBe('finally');
});

test('approvalUpdates yields an approval decided over REST as APPROVED', async () => {
  const runId = (await service.db.run.findFirstOrThrow({ where: { sessionId: 'ws' } })).id;
  const approvalId = 'appr-live-1';
  await service.db.approval.create({
    data: { id: approvalId, sessionId: 'ws', runId, toolName: 'sql', toolInput: { query: 'DROP TABLE x' }, fingerprint: 'fp-1', reason: 'destructive', status: 'pending' },
  });
  const { client } = wsClient(service, resources);
  type Update = { approvalUpdates: { id: string; status: string; decisionNote: string | null } };
  const forSession = subscribe<Update>(client, 'subscription { approvalUpdates(sessionId: "ws") { id status decisionNote } }');
  const all = subscribe<Update>(client, 'subscription { approvalUpdates { id status decisionNote } }');
  const other = subscribe<Update>(client, 'subscription { approvalUpdates(sessionId: "someone-else") { id status } }');
  // Both are registered once a signal about the (still pending) approval reaches them.
  await until(async () => {
    await service.services.signals.publish({ kind: 'approval', approvalId, sessionId: 'ws' });
    return forSession.items.length > 0 && all.items.length > 0;
  }, 'the subscriptions to be registered');
  expect(forSession.items[0]).toEqual({ approvalUpdates: { id: approvalId, status: 'PENDING', decisionNote: null } });
  const decided = await service.rest('POST', `/approvals/${approvalId}/decision`, { approved: true, note: 'ok' });
  expect(decided.status).toBe(200);
  const approved = { approvalUpdates: { id: approvalId, status: 'APPROVED', decisionNote: 'ok' } };
  const sawApproved = (items: Update[]) => items.some((u) => u.approvalUpdates.status === 'APPROVED');
  await until(() => sawApproved(forSession.items) && sawApproved(all.items), 'the decision on the subscriptions');
  for (const sub of [forSession, all]) {
    expect(sub.errors).toEqual([]);
    expect(sub.items.at(-1)).toEqual(approved);
    expect(sub.items.filter((u) => u.approvalUpdates.status === 'APPROVED')).toHaveLength(1);
  }
  expect(other.errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })]);
});
