// approvals and decideApproval through real HTTP. Approval rows are seeded straight into the
// database (as the agent's tools would create them), with fixed creation times so the order is exact.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { ISO_INSTANT, expectOneError, postGraphQL } from './http.js';

const agent = new ScriptedAgent({
  'needs approval': { steps: [{ reply: 'Waiting for approval.' }], usage: { inputTokens: 4, outputTokens: 2 }, toolCalls: 1, pendingApprovalIds: ['ap-a1'] },
});

let service: TestService;
let runA: string;
let runB: string;

const at = (second: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const iso = (second: number): string => at(second).toISOString();

beforeAll(async () => {
  service = await startTestService({ agent });
  await service.gql(`mutation { a: createSession(input: { sessionId: "appr-a" }) { id } b: createSession(input: { sessionId: "appr-b" }) { id } }`);
  const turnA = await service.gql<{ sendTurn: { runId: string; status: string; pendingApprovalIds: string[] } }>(
    `mutation { sendTurn(input: { sessionId: "appr-a", message: "needs approval" }) { runId status pendingApprovalIds } }`,
  );
  expect(turnA.data.sendTurn).toMatchObject({ status: 'APPROVAL_REQUIRED', pendingApprovalIds: ['ap-a1'] });
  runA = turnA.data.sendTurn.runId;
  const turnB = await service.gql<{ sendTurn: { runId: string; status: string } }>(`mutation { sendTurn(input: { sessionId: "appr-b", message: "hello" }) { runId status } }`);
  expect(turnB.data.sendTurn.status).toBe('COMPLETED');
  runB = turnB.data.sendTurn.runId;

  const seed = (row: { id: string; sessionId: string; runId: string; second: number; status?: string; toolInput?: object; decidedSecond?: number; decisionNote?: string }) =>
    service.db.approval.create({
      data: {
        id: row.id,
        sessionId: row.sessionId,
        runId: row.runId,
        toolName: 'sql_query',
        toolInput: row.toolInput ?? { query: `SELECT ${row.id}` },
        fingerprint: `fp-${row.id}`,
        reason: `Reason of ${row.id}`,
        status: row.status ?? 'pending',
        createdAt: at(row.second),
        decidedAt: row.decidedSecond === undefined ? null : at(row.decidedSecond),
        decisionNote: row.decisionNote ?? null,
      },
    });
  await seed({ id: 'ap-a1', sessionId: 'appr-a', runId: runA, second: 1, toolInput: { zeta: { y: 1, x: [{ b: 2, a: 1 }] }, limit: 10, q: 'SELECT *' } });
  await seed({ id: 'ap-b1', sessionId: 'appr-b', runId: runB, second: 2 });
  await seed({ id: 'ap-a2', sessionId: 'appr-a', runId: runA, second: 3 });
  await seed({ id: 'ap-b2', sessionId: 'appr-b', runId: runB, second: 3 }); // same instant as ap-a2: the id breaks the tie
  await seed({ id: 'ap-done', sessionId: 'appr-b', runId: runB, second: 4, status: 'approved', decidedSecond: 5, decisionNote: 'fine' });
  await seed({ id: 'ap-no', sessionId: 'appr-a', runId: runA, second: 6, status: 'rejected', decidedSecond: 7, decisionNote: 'too big' });
});
afterAll(() => service.dispose());

const APPROVAL_FIELDS = 'id sessionId runId toolName toolInput reason status createdAt decidedAt decisionNote';

interface ApprovalView {
  id: string;
  sessionId: string;
  runId: string;
  toolName: string;
  toolInput: unknown;
  reason: string;
  status: string;
  createdAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
}

interface ApprovalConnection {
  edges: Array<{ cursor: string; node: { id: string } }>;
  nodes: Array<{ id: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const LIST = `query($status: String, $sessionId: ID, $first: Int, $after: String) {
  approvals(status: $status, sessionId: $sessionId, first: $first, after: $after) {
    edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor }
  }
}`;

async function list(variables: Record<string, unknown> = {}): Promise<ApprovalConnection> {
  const response = await service.gql<{ approvals: ApprovalConnection }>(LIST, variables);
  const { approvals } = response.data;
  expect(approvals.edges.map((edge) => edge.node)).toEqual(approvals.nodes);
  expect(approvals.pageInfo.endCursor).toBe(approvals.edges.at(-1)?.cursor ?? null);
  return approvals;
}
const ids = (connection: ApprovalConnection): string[] => connection.nodes.map((node) => node.id);

const DECIDE = `mutation($input: DecideApprovalInput!) { decideApproval(input: $input) { ${APPROVAL_FIELDS} } }`;
async function decide(input: Record<string, unknown>): Promise<ApprovalView> {
  return (await service.gql<{ decideApproval: ApprovalView }>(DECIDE, { input })).data.decideApproval;
}

test('approvals lists pending approvals newest first by default, with every field', async () => {
  // A query without arguments uses the schema defaults (status "pending").
  const plain = await service.gql<{ approvals: { nodes: ApprovalView[]; pageInfo: unknown } }>(`{ approvals { nodes { ${APPROVAL_FIELDS} } pageInfo { hasNextPage } } }`);
  expect(plain.data.approvals.nodes.map((node) => node.id)).toEqual(['ap-b2', 'ap-a2', 'ap-b1', 'ap-a1']);
  expect(plain.data.approvals.pageInfo).toEqual({ hasNextPage: false });
  expect(plain.data.approvals.nodes[3]).toEqual({
    id: 'ap-a1',
    sessionId: 'appr-a',
    runId: runA,
    toolName: 'sql_query',
    toolInput: { limit: 10, q: 'SELECT *', zeta: { x: [{ a: 1, b: 2 }], y: 1 } },
    reason: 'Reason of ap-a1',
    status: 'PENDING',
    createdAt: '2026-01-01T00:00:01.000Z',
    decidedAt: null,
    decisionNote: null,
  });
  expect(JSON.stringify(plain.data.approvals.nodes[3]?.toolInput)).toBe('{"limit":10,"q":"SELECT *","zeta":{"x":[{"a":1,"b":2}],"y":1}}');
});

test('approvals filters by exact status and by session', async () => {
  const approved = await service.gql<{ approvals: { nodes: ApprovalView[] } }>(`{ approvals(status: "approved") { nodes { ${APPROVAL_FIELDS} } } }`);
  expect(approved.data.approvals.nodes).toEqual([
    { id: 'ap-done', sessionId: 'appr-b', runId: runB, toolName: 'sql_query', toolInput: { query: 'SELECT ap-done' }, reason: 'Reason of ap-done', status: 'APPROVED', createdAt: iso(4), decidedAt: iso(5), decisionNote: 'fine' },
  ]);
  expect(ids(await list({ status: 'rejected' }))).toEqual(['ap-no']);
  expect(ids(await list({ sessionId: 'appr-a' }))).toEqual(['ap-a2', 'ap-a1']);
  expect(ids(await list({ sessionId: 'appr-b', status: 'approved' }))).toEqual(['ap-done']);
  expect(ids(await list({ sessionId: 'no-such-session' }))).toEqual([]);
  // The status is matched exactly, as stored (lower case).
  expect(ids(await list({ status: 'PENDING' }))).toEqual([]);
});

test('approvals pages with first/after until hasNextPage is false; an invalid cursor is BAD_USER_INPUT', async () => {
  const seen: string[] = [];
  const hasNext: boolean[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page += 1) {
    const approvals = await list({ first: 1, after });
    seen.push(...ids(approvals));
    hasNext.push(approvals.pageInfo.hasNextPage);
    if (!approvals.pageInfo.hasNextPage) break;
    after = approvals.pageInfo.endCursor;
  }
  expect(seen).toEqual(['ap-b2', 'ap-a2', 'ap-b1', 'ap-a1']);
  expect(hasNext).toEqual([true, true, true, false]);

  const firstTwo = await list({ first: 2 });
  expect(ids(firstTwo)).toEqual(['ap-b2', 'ap-a2']);
  expect(firstTwo.pageInfo.hasNextPage).toBe(true);
  expect(ids(await list({ first: 2, after: firstTwo.pageInfo.endCursor }))).toEqual(['ap-b1', 'ap-a1']);

  const invalid = await postGraphQL(service, { query: LIST, variables: { after: 'bogus' } });
  expectOneError(invalid, { message: "Invalid cursor 'bogus'.", code: 'BAD_USER_INPUT', path: ['approvals'], status: 200 });
  expect(invalid.json?.data).toBeNull();
});

test("a run's pendingApprovals and its trace's approvals resolve the rows", async () => {
  const response = await service.gql<{ run: { status: string; pendingApprovalIds: string[]; pendingApprovals: Array<{ id: string; status: string }> }; runTrace: { approvals: Array<{ id: string }> } }>(
    `query($id: ID!) { run(id: $id) { status pendingApprovalIds pendingApprovals { id status } } runTrace(runId: $id) { approvals { id } } }`,
    { id: runA },
  );
  expect(response.data.run).toEqual({ status: 'APPROVAL_REQUIRED', pendingApprovalIds: ['ap-a1'], pendingApprovals: [{ id: 'ap-a1', status: 'PENDING' }] });
  // Every approval of the run, oldest first.
  expect(response.data.runTrace.approvals).toEqual([{ id: 'ap-a1' }, { id: 'ap-a2' }, { id: 'ap-no' }]);
});

test('decideApproval approves once; repeating it returns the same result; contradicting it is CONFLICT', async () => {
  const approved = await decide({ approvalId: 'ap-a1', approved: true, note: 'go ahead' });
  expect(approved).toEqual({
    id: 'ap-a1',
    sessionId: 'appr-a',
    runId: runA,
    toolName: 'sql_query',
    toolInput: { limit: 10, q: 'SELECT *', zeta: { x: [{ a: 1, b: 2 }], y: 1 } },
    reason: 'Reason of ap-a1',
    status: 'APPROVED',
    createdAt: iso(1),
    decidedAt: expect.stringMatching(ISO_INSTANT),
    decisionNote: 'go ahead',
  });
  expect(Math.abs(Date.parse(approved.decidedAt as string) - Date.now())).toBeLessThan(60_000);

  // The same decision again (even with another note) changes nothing.
  expect(await decide({ approvalId: 'ap-a1', approved: true })).toEqual(approved);
  expect(await decide({ approvalId: 'ap-a1', approved: true, note: 'another note' })).toEqual(approved);

  const contradicting = await postGraphQL(service, { query: DECIDE, variables: { input: { approvalId: 'ap-a1', approved: false, note: 'no' } } });
  expectOneError(contradicting, {
    message: "Approval 'ap-a1' was already approved; a contradicting decision is not allowed.",
    code: 'CONFLICT',
    path: ['decideApproval'],
    status: 200,
  });
  expect(contradicting.json?.data).toBeNull();
  expect(await decide({ approvalId: 'ap-a1', approved: true })).toEqual(approved);
});

test('decideApproval rejects without a note; repeating is the same; approving it then is CONFLICT', async () => {
  const rejected = await decide({ approvalId: 'ap-b1', approved: false });
  expect(rejected).toMatchObject({ id: 'ap-b1', status: 'REJECTED', decidedAt: expect.stringMatching(ISO_INSTANT), decisionNote: '' });
  expect(await decide({ approvalId: 'ap-b1', approved: false, note: 'later note' })).toEqual(rejected);
  const contradicting = await postGraphQL(service, { query: DECIDE, variables: { input: { approvalId: 'ap-b1', approved: true } } });
  expectOneError(contradicting, {
    message: "Approval 'ap-b1' was already rejected; a contradicting decision is not allowed.",
    code: 'CONFLICT',
    path: ['decideApproval'],
  });
  // Rows decided before the service saw them behave the same.
  const seededApproved = await decide({ approvalId: 'ap-done', approved: true, note: 'x' });
  expect(seededApproved).toMatchObject({ id: 'ap-done', status: 'APPROVED', decidedAt: iso(5), decisionNote: 'fine' });
});

test('decideApproval of an unknown approval is NOT_FOUND', async () => {
  const response = await postGraphQL(service, { query: DECIDE, variables: { input: { approvalId: 'nope', approved: true } } });
  expectOneError(response, { message: "Unknown approval_id 'nope'.", code: 'NOT_FOUND', path: ['decideApproval'], status: 200 });
  expect(response.json?.data).toBeNull();
});

test('decided approvals leave the pending list and join their status list', async () => {
  expect(ids(await list())).toEqual(['ap-b2', 'ap-a2']);
  expect(ids(await list({ status: 'approved' }))).toEqual(['ap-done', 'ap-a1']);
  expect(ids(await list({ status: 'rejected' }))).toEqual(['ap-no', 'ap-b1']);
});
