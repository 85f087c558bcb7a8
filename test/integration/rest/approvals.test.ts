// GET /approvals and POST /approvals/{approval_id}/decision. The approval gate comes later, so
// approvals are seeded with Prisma on real sessions and runs.
import type { Prisma } from '../../../src/generated/prisma/client.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { api, createSession, detail, doneRun, expectRecentEpoch, issue, MSG, turn, type Api } from './contract.js';

let service: TestService;
let client: Api;
let sessionA: string;
let sessionB: string;
let runA: string;
let runB: string;
const base = Date.UTC(2031, 5, 1, 12, 0, 0, 0);

interface ApprovalBody {
  id: string;
  session_id: string;
  run_id: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  reason: string;
  status: string;
  created_at: number;
  decided_at: number | null;
  decision_note: string | null;
}

interface Seed {
  id: string;
  sessionId: string;
  runId: string;
  offsetSeconds: number;
  status?: string;
  decidedAt?: Date;
  decisionNote?: string;
  toolInput?: Prisma.InputJsonObject;
}

/** Inserts an approval and returns the JSON the API must show for it. */
async function seed(approval: Seed): Promise<ApprovalBody> {
  const createdAt = new Date(base + approval.offsetSeconds * 1000);
  const toolInput = approval.toolInput ?? { action: 'write', connector_id: 'sales', sql: `UPDATE t SET x = ${approval.offsetSeconds}` };
  await service.db.approval.create({
    data: {
      id: approval.id,
      sessionId: approval.sessionId,
      runId: approval.runId,
      toolName: 'connector',
      toolInput,
      fingerprint: approval.id.padEnd(64, '0'),
      reason: 'Connector write actions require approval.',
      status: approval.status ?? 'pending',
      createdAt,
      decidedAt: approval.decidedAt ?? null,
      decisionNote: approval.decisionNote ?? null,
    },
  });
  return {
    id: approval.id,
    session_id: approval.sessionId,
    run_id: approval.runId,
    tool_name: 'connector',
    tool_input: toolInput,
    reason: 'Connector write actions require approval.',
    status: approval.status ?? 'pending',
    created_at: createdAt.getTime() / 1000,
    decided_at: approval.decidedAt ? approval.decidedAt.getTime() / 1000 : null,
    decision_note: approval.decisionNote ?? null,
  };
}

let a1: ApprovalBody;
let a2: ApprovalBody;
let a3: ApprovalBody;
let a4: ApprovalBody;
let a5: ApprovalBody;

beforeAll(async () => {
  service = await startTestService();
  client = api(service);
  sessionA = await createSession(client, { session_id: 'approvals-a' });
  sessionB = await createSession(client, { session_id: 'approvals-b' });
  runA = (await turn(client, sessionA, { message: 'hello' })).run_id;
  runB = (await turn(client, sessionB, { message: 'hello' })).run_id;
  a1 = await seed({ id: 'aaaaaaaaaa01', sessionId: sessionA, runId: runA, offsetSeconds: 0, toolInput: { nested: { b: [1, 2], a: null } } });
  a2 = await seed({ id: 'aaaaaaaaaa02', sessionId: sessionA, runId: runA, offsetSeconds: 1.5 });
  a3 = await seed({ id: 'aaaaaaaaaa03', sessionId: sessionB, runId: runB, offsetSeconds: 2 });
  a4 = await seed({
    id: 'aaaaaaaaaa04',
    sessionId: sessionA,
    runId: runA,
    offsetSeconds: 3,
    status: 'approved',
    decidedAt: new Date(base + 10_000),
    decisionNote: 'ok by me',
  });
  a5 = await seed({ id: 'aaaaaaaaaa05', sessionId: sessionB, runId: runB, offsetSeconds: 4, status: 'rejected', decidedAt: new Date(base + 11_000), decisionNote: '' });
});
afterAll(() => service.dispose());

describe('GET /approvals', () => {
  test('pending by default, newest first', async () => {
    const response = await client.call('GET', '/approvals');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ approvals: [a3, a2, a1] });
  });

  test('filters on session_id', async () => {
    expect(await client.get(`/approvals?session_id=${sessionA}`)).toEqual({ approvals: [a2, a1] });
    expect(await client.get(`/approvals?session_id=${sessionB}`)).toEqual({ approvals: [a3] });
    expect(await client.get('/approvals?session_id=unknown-session')).toEqual({ approvals: [] });
  });

  test('filters on the exact status; any string is allowed and an unknown one gives []', async () => {
    expect(await client.get('/approvals?status=approved')).toEqual({ approvals: [a4] });
    expect(await client.get('/approvals?status=rejected')).toEqual({ approvals: [a5] });
    expect(await client.get('/approvals?status=pending')).toEqual({ approvals: [a3, a2, a1] });
    expect(await client.get('/approvals?status=whatever')).toEqual({ approvals: [] });
    expect(await client.get('/approvals?status=PENDING')).toEqual({ approvals: [] });
    expect(await client.get(`/approvals?status=approved&session_id=${sessionB}`)).toEqual({ approvals: [] });
    expect(await client.get(`/approvals?status=rejected&session_id=${sessionB}`)).toEqual({ approvals: [a5] });
  });

  test('limit keeps the newest; a limit below 1 means 1', async () => {
    expect(await client.get('/approvals?limit=2')).toEqual({ approvals: [a3, a2] });
    expect(await client.get('/approvals?limit=1')).toEqual({ approvals: [a3] });
    expect(await client.get('/approvals?limit=0')).toEqual({ approvals: [a3] });
    expect(await client.get(`/approvals?limit=1&session_id=${sessionA}`)).toEqual({ approvals: [a2] });
  });

  test('422 for a non-integer limit', async () => {
    const response = await client.call('GET', '/approvals?limit=many');
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'many')] });
  });
});

describe('POST /approvals/{approval_id}/decision', () => {
  let session: string;
  let run: string;

  beforeAll(async () => {
    session = await createSession(client, { session_id: 'deciding' });
    run = (await turn(client, session, { message: 'hello' })).run_id;
  });

  test('approve with a null note: approved, decided_at set, decision_note ""', async () => {
    const pending = await seed({ id: 'dddddddddd01', sessionId: session, runId: run, offsetSeconds: 20 });
    const response = await client.call('POST', `/approvals/${pending.id}/decision`, { approved: true, note: null });
    expect(response.status).toBe(200);
    const decided = response.body as ApprovalBody;
    expect(decided).toEqual({ ...pending, status: 'approved', decided_at: expect.any(Number), decision_note: '' });
    expectRecentEpoch(decided.decided_at);
    // It leaves the pending list and shows up as approved.
    expect(await client.get(`/approvals?session_id=${session}`)).toEqual({ approvals: [] });
    expect(await client.get(`/approvals?status=approved&session_id=${session}`)).toEqual({ approvals: [decided] });
    // A decision never changes the run.
    expect(await client.get(`/runs/${run}`)).toEqual(doneRun(run, session, 'hello'));
  });

  test('the note is optional and kept when given', async () => {
    const withoutNote = await seed({ id: 'dddddddddd02', sessionId: session, runId: run, offsetSeconds: 21 });
    expect(await client.post(`/approvals/${withoutNote.id}/decision`, { approved: true })).toEqual({
      ...withoutNote,
      status: 'approved',
      decided_at: expect.any(Number),
      decision_note: '',
    });
    const withNote = await seed({ id: 'dddddddddd03', sessionId: session, runId: run, offsetSeconds: 22 });
    expect(await client.post(`/approvals/${withNote.id}/decision`, { approved: false, note: 'too risky' })).toEqual({
      ...withNote,
      status: 'rejected',
      decided_at: expect.any(Number),
      decision_note: 'too risky',
    });
  });

  test('lax booleans: "yes" approves, 0 rejects', async () => {
    const yes = await seed({ id: 'dddddddddd04', sessionId: session, runId: run, offsetSeconds: 23 });
    expect((await client.post<ApprovalBody>(`/approvals/${yes.id}/decision`, { approved: 'yes' })).status).toBe('approved');
    const zero = await seed({ id: 'dddddddddd05', sessionId: session, runId: run, offsetSeconds: 24 });
    expect((await client.post<ApprovalBody>(`/approvals/${zero.id}/decision`, { approved: 0 })).status).toBe('rejected');
  });

  test('repeating the same decision is 200 and changes nothing (decision 16)', async () => {
    const pending = await seed({ id: 'dddddddddd06', sessionId: session, runId: run, offsetSeconds: 25 });
    const first = await client.post<ApprovalBody>(`/approvals/${pending.id}/decision`, { approved: false, note: 'first' });
    const again = await client.call('POST', `/approvals/${pending.id}/decision`, { approved: false, note: 'second' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    expect((again.body as ApprovalBody).decision_note).toBe('first');
  });

  test('a contradicting decision is 409 and changes nothing (decision 16)', async () => {
    const pending = await seed({ id: 'dddddddddd07', sessionId: session, runId: run, offsetSeconds: 26 });
    const approved = await client.post<ApprovalBody>(`/approvals/${pending.id}/decision`, { approved: true, note: 'go' });
    const rejected = await client.call('POST', `/approvals/${pending.id}/decision`, { approved: false, note: 'stop' });
    expect(rejected.status).toBe(409);
    expect(rejected.body).toEqual(detail("Approval 'dddddddddd07' was already approved; a contradicting decision is not allowed."));
    expect(await client.get(`/approvals?status=approved&session_id=${session}&limit=1`)).toEqual({ approvals: [approved] });
    // The seeded, already decided ones behave the same way.
    const reverse = await client.call('POST', `/approvals/${a5.id}/decision`, { approved: true });
    expect(reverse.status).toBe(409);
    expect(reverse.body).toEqual(detail(`Approval '${a5.id}' was already rejected; a contradicting decision is not allowed.`));
    expect(await client.post(`/approvals/${a4.id}/decision`, { approved: true, note: 'again' })).toEqual(a4);
  });

  test('404 for an unknown approval', async () => {
    const response = await client.call('POST', '/approvals/nope/decision', { approved: true });
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown approval_id 'nope'."));
  });

  test('422 when approved is missing or not a boolean, or the note not a string', async () => {
    const missing = await client.call('POST', `/approvals/${a1.id}/decision`, { note: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ detail: [issue('missing', ['body', 'approved'], MSG.missing, { note: 'x' })] });

    const maybe = await client.call('POST', `/approvals/${a1.id}/decision`, { approved: 'maybe' });
    expect(maybe.status).toBe(422);
    expect(maybe.body).toEqual({ detail: [issue('bool_parsing', ['body', 'approved'], MSG.bool_parsing, 'maybe')] });

    const note = await client.call('POST', `/approvals/${a1.id}/decision`, { approved: true, note: 5 });
    expect(note.status).toBe(422);
    expect(note.body).toEqual({ detail: [issue('string_type', ['body', 'note'], MSG.string_type, 5)] });

    const noBody = await client.call('POST', `/approvals/${a1.id}/decision`);
    expect(noBody.status).toBe(422);
    expect(noBody.body).toEqual({ detail: [issue('missing', ['body'], MSG.missing, null)] });

    // Validation comes before the lookup, and nothing was decided.
    const unknown = await client.call('POST', '/approvals/nope/decision', {});
    expect(unknown.status).toBe(422);
    expect(await client.get('/approvals')).toEqual({ approvals: [a3, a2, a1] });
  });
});
