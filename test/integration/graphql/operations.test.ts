// Every session and run operation of schema.graphql, through real HTTP against a real service:
// createSession, session, sessions, sendTurn, run (every field), cancelRun, runTrace.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { ISO_INSTANT, expectOneError, postGraphQL } from './http.js';

const REPORT_CSV = 'a,b\n1,2\n';
const README = 'read me\n';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const agent = new ScriptedAgent({
  analyse: {
    steps: [
      { event: 'tool_call', payload: { zeta: 1, a: { yy: 2, b: 1 }, mm: [{ d: 1, c: 2 }] } },
      { event: 'step', payload: { n: 1 } },
      { event: 'step', payload: { n: 2 } },
      { writeFile: 'report.csv', content: REPORT_CSV },
      { writeFile: 'notes/README', content: README },
      { reply: 'Wrote ' },
      { reply: 'report.csv' },
    ],
    usage: { inputTokens: 120, outputTokens: 30 },
    toolCalls: 2,
  },
  boom: { steps: [{ reply: 'half' }, { fail: 'model exploded' }], usage: { inputTokens: 5, outputTokens: 1 } },
  block: { steps: [{ reply: 'partial ' }, { block: true }, { reply: 'never' }], usage: { inputTokens: 7, outputTokens: 3 }, toolCalls: 1 },
});

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ agent });
});
afterAll(() => service.dispose());

async function data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await service.gql<T>(query, variables);
  expect(response.status).toBe(200);
  return response.data;
}

const RUN_FIELDS = `
  id sessionId session { id } createdAt startedAt completedAt status prompt response error
  inputTokens outputTokens totalTokens toolCalls cancelRequested workerMode idempotencyKey
  pendingApprovalIds pendingApprovals { id }
`;

interface RunView {
  id: string;
  sessionId: string;
  session: { id: string };
  createdAt: string;
  startedAt: string;
  completedAt: string | null;
  status: string;
  prompt: string;
  response: string | null;
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  toolCalls: number;
  cancelRequested: boolean;
  workerMode: string;
  idempotencyKey: string | null;
  pendingApprovalIds: string[];
  pendingApprovals: Array<{ id: string }>;
}

interface EventView {
  id: number;
  sessionId: string;
  runId: string;
  ts: string;
  eventType: string;
  payload: Record<string, unknown>;
}

interface EventPageView {
  events: EventView[];
  nextSinceId: number;
  hasMore: boolean;
}

interface TurnView {
  runId: string;
  status: string;
  reply: string;
  error: string | null;
  pendingApprovalIds: string[];
  totalTokens: number;
  toolCalls: number;
  reused: boolean;
  run: RunView;
}

const SEND_TURN = `
  mutation Send($input: SendTurnInput!) {
    sendTurn(input: $input) {
      runId status reply error pendingApprovalIds totalTokens toolCalls reused
      run { ${RUN_FIELDS} }
    }
  }`;

const sendTurn = async (input: Record<string, unknown>): Promise<TurnView> =>
  (await data<{ sendTurn: TurnView }>(SEND_TURN, { input })).sendTurn;

const getRun = async (id: string): Promise<RunView> => (await data<{ run: RunView }>(`query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id })).run;

const EVENT_FIELDS = 'events { id sessionId runId ts eventType payload } nextSinceId hasMore';

describe('createSession / session / sessions', () => {
  interface SessionView {
    id: string;
    createdAt: string;
    workspacePath: string;
    metadata: unknown;
  }
  const CREATE = `mutation($input: CreateSessionInput!) { createSession(input: $input) { id createdAt workspacePath metadata } }`;
  const create = async (input: Record<string, unknown>): Promise<SessionView> =>
    (await data<{ createSession: SessionView }>(CREATE, { input })).createSession;

  test('creates a session with a chosen id, a relative workspace and metadata returned with sorted keys', async () => {
    const session = await create({ sessionId: 'ops-main', workspacePath: 'ws/main', metadata: { zeta: 1, a: { yy: 2, b: 1 }, mm: true } });
    const workspace = path.resolve(service.home, 'ws/main');
    expect(session).toEqual({ id: 'ops-main', createdAt: expect.stringMatching(ISO_INSTANT), workspacePath: workspace, metadata: { a: { b: 1, yy: 2 }, mm: true, zeta: 1 } });
    // Key order is part of the contract: jsonb keeps keys by length, the API sorts them.
    expect(JSON.stringify(session.metadata)).toBe('{"a":{"b":1,"yy":2},"mm":true,"zeta":1}');
    expect(existsSync(path.join(workspace, '.anton', 'output'))).toBe(true);

    const fetched = await data<{ session: SessionView }>(`{ session(id: "ops-main") { id createdAt workspacePath metadata } }`);
    expect(fetched.session).toEqual(session);
    expect(JSON.stringify(fetched.session.metadata)).toBe('{"a":{"b":1,"yy":2},"mm":true,"zeta":1}');
  });

  test('an omitted, null or empty session id generates a 12-hex id; the workspace defaults to the home', async () => {
    const omitted = await create({});
    const nulled = await create({ sessionId: null, metadata: null });
    const empty = await create({ sessionId: '' });
    for (const session of [omitted, nulled, empty]) {
      expect(session).toEqual({ id: expect.stringMatching(/^[0-9a-f]{12}$/), createdAt: expect.stringMatching(ISO_INSTANT), workspacePath: path.resolve(service.home), metadata: {} });
    }
    expect(new Set([omitted.id, nulled.id, empty.id]).size).toBe(3);
  });

  test('a duplicate id is CONFLICT; a bad id or non-object metadata is BAD_USER_INPUT', async () => {
    await create({ sessionId: 'ops-dup' });
    const duplicate = await postGraphQL(service, { query: CREATE, variables: { input: { sessionId: 'ops-dup' } } });
    expectOneError(duplicate, { message: "Session 'ops-dup' already exists.", code: 'CONFLICT', path: ['createSession'], status: 200 });
    expect(duplicate.json?.data).toBeNull();

    const badId = await postGraphQL(service, { query: CREATE, variables: { input: { sessionId: 'has space' } } });
    expectOneError(badId, {
      message: 'session_id must be 1 to 200 characters without whitespace, /, ?, #, % or \\.',
      code: 'BAD_USER_INPUT',
      path: ['createSession'],
    });
    for (const metadata of [[1, 2], 'text', 3]) {
      const badMetadata = await postGraphQL(service, { query: CREATE, variables: { input: { sessionId: 'ops-meta', metadata } } });
      expectOneError(badMetadata, { message: 'metadata must be a JSON object.', code: 'BAD_USER_INPUT', path: ['createSession'] });
    }
    // Nothing was created by the refused calls.
    const missing = await postGraphQL(service, { query: '{ session(id: "ops-meta") { id } }' });
    expectOneError(missing, { message: "Unknown session_id 'ops-meta'.", code: 'NOT_FOUND', path: ['session'], status: 200 });
    expect(missing.json?.data).toEqual({ session: null });
  });

  test('sessions pages newest first with first/after until hasNextPage is false', async () => {
    const ids = ['ops-page-1', 'ops-page-2', 'ops-page-3', 'ops-page-4', 'ops-page-5'];
    for (const id of ids) await create({ sessionId: id });

    interface Conn {
      sessions: {
        edges: Array<{ cursor: string; node: { id: string; createdAt: string } }>;
        nodes: Array<{ id: string; createdAt: string }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    }
    const PAGE = `query($first: Int, $after: String) {
      sessions(first: $first, after: $after) { edges { cursor node { id createdAt } } nodes { id createdAt } pageInfo { hasNextPage endCursor } }
    }`;
    const all = (await data<Conn>(PAGE, { first: 1000 })).sessions;
    expect(all.pageInfo).toEqual({ hasNextPage: false, endCursor: all.edges.at(-1)?.cursor });
    expect(all.edges.map((edge) => edge.node)).toEqual(all.nodes);
    // Newest first: (createdAt, id) descending.
    const sorted = [...all.nodes].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
    expect(all.nodes).toEqual(sorted);
    // Created one after another, with increasing ids: they come back in reverse order.
    expect(all.nodes.map((node) => node.id).filter((id) => ids.includes(id))).toEqual([...ids].reverse());

    const seen: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const { sessions }: Conn = await data<Conn>(PAGE, { first: 2, after });
      expect(sessions.nodes.length).toBeGreaterThan(0);
      expect(sessions.nodes.length).toBeLessThanOrEqual(2);
      expect(sessions.edges.map((edge) => edge.node)).toEqual(sessions.nodes);
      expect(sessions.pageInfo.endCursor).toBe(sessions.edges.at(-1)?.cursor);
      seen.push(...sessions.nodes.map((node) => node.id));
      hasNext.push(sessions.pageInfo.hasNextPage);
      if (!sessions.pageInfo.hasNextPage) break;
      after = sessions.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.nodes.map((node) => node.id));
    expect(hasNext).toEqual([...Array(Math.ceil(all.nodes.length / 2) - 1).fill(true), false]);

    // Past the end: an empty page with no cursor.
    const lastCursor = all.edges.at(-1)?.cursor as string;
    const beyond = (await data<Conn>(PAGE, { first: 2, after: lastCursor })).sessions;
    expect(beyond).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test('an invalid cursor is BAD_USER_INPUT', async () => {
    const response = await postGraphQL(service, { query: '{ sessions(after: "not-a-cursor") { nodes { id } } }' });
    expectOneError(response, { message: "Invalid cursor 'not-a-cursor'.", code: 'BAD_USER_INPUT', path: ['sessions'], status: 200 });
    expect(response.json?.data).toBeNull();
    const valid64ButWrongShape = Buffer.from(JSON.stringify({ a: 1 })).toString('base64url');
    const shape = await postGraphQL(service, { query: `{ sessions(after: "${valid64ButWrongShape}") { nodes { id } } }` });
    expectOneError(shape, { message: `Invalid cursor '${valid64ButWrongShape}'.`, code: 'BAD_USER_INPUT', path: ['sessions'] });
  });
});

describe('sendTurn / run / runTrace / cancelRun', () => {
  let workspace: string;
  let analysed: TurnView;

  beforeAll(async () => {
    await data(`mutation { createSession(input: { sessionId: "ops-run", workspacePath: "ws/run" }) { id } }`);
    workspace = path.resolve(service.home, 'ws/run');
  });

  test('sendTurn waits for completion and returns every TurnResult field', async () => {
    analysed = await sendTurn({ sessionId: 'ops-run', message: 'analyse', idempotencyKey: 'k1' });
    expect(analysed).toEqual({
      runId: expect.stringMatching(/^[0-9a-f]{12}$/),
      status: 'COMPLETED',
      reply: 'Wrote report.csv',
      error: null,
      pendingApprovalIds: [],
      totalTokens: 150,
      toolCalls: 2,
      reused: false,
      run: {
        id: analysed.runId,
        sessionId: 'ops-run',
        session: { id: 'ops-run' },
        createdAt: expect.stringMatching(ISO_INSTANT),
        startedAt: expect.stringMatching(ISO_INSTANT),
        completedAt: expect.stringMatching(ISO_INSTANT),
        status: 'COMPLETED',
        prompt: 'analyse',
        response: 'Wrote report.csv',
        error: null,
        inputTokens: 120,
        outputTokens: 30,
        totalTokens: 150,
        toolCalls: 2,
        cancelRequested: false,
        workerMode: 'LOCAL',
        idempotencyKey: 'k1',
        pendingApprovalIds: [],
        pendingApprovals: [],
      },
    });
    expect(Date.parse(analysed.run.completedAt as string)).toBeGreaterThanOrEqual(Date.parse(analysed.run.startedAt));
    expect(Date.parse(analysed.run.startedAt)).toBeGreaterThanOrEqual(Date.parse(analysed.run.createdAt));
  });

  test('repeating an idempotency key returns the same run with reused = true and starts nothing', async () => {
    const startedBefore = agent.started.length;
    const again = await sendTurn({ sessionId: 'ops-run', message: 'analyse', idempotencyKey: 'k1' });
    expect(again).toEqual({ ...analysed, reused: true });
    // Even with another message: the key decides.
    const other = await sendTurn({ sessionId: 'ops-run', message: 'something else', idempotencyKey: 'k1' });
    expect(other).toEqual({ ...analysed, reused: true });
    expect(agent.started.length).toBe(startedBefore);
  });

  test('run returns every field; the prompt is exactly what was sent', async () => {
    expect(await getRun(analysed.runId)).toEqual(analysed.run);
    const exact = '  spaces\tand\nnewlines, unicode ✓  ';
    const turn = await sendTurn({ sessionId: 'ops-run', message: exact });
    expect(turn).toMatchObject({ status: 'COMPLETED', reply: 'done', totalTokens: 15, toolCalls: 0, reused: false });
    expect((await getRun(turn.runId)).prompt).toBe(exact);
    expect(turn.run.idempotencyKey).toBeNull();
  });

  test('run events page oldest first with sinceId/limit; ids are SafeInts, payloads have sorted keys', async () => {
    const EVENTS = `query($id: ID!, $since: SafeInt, $limit: Int) { run(id: $id) { events(sinceId: $since, limit: $limit) { ${EVENT_FIELDS} } } }`;
    const all = (await data<{ run: { events: EventPageView } }>(EVENTS, { id: analysed.runId })).run.events;
    expect(all.hasMore).toBe(false);
    expect(all.events.map((event) => [event.eventType, event.payload])).toEqual([
      ['run_created', { idempotency_key: 'k1', worker_mode: 'local' }],
      ['tool_call', { a: { b: 1, yy: 2 }, mm: [{ c: 2, d: 1 }], zeta: 1 }],
      ['step', { n: 1 }],
      ['step', { n: 2 }],
    ]);
    expect(JSON.stringify(all.events[1]?.payload)).toBe('{"a":{"b":1,"yy":2},"mm":[{"c":2,"d":1}],"zeta":1}');
    for (const event of all.events) {
      expect(event).toEqual({ id: expect.any(Number), sessionId: 'ops-run', runId: analysed.runId, ts: expect.stringMatching(ISO_INSTANT), eventType: event.eventType, payload: event.payload });
      expect(Number.isSafeInteger(event.id)).toBe(true);
    }
    const ids = all.events.map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.nextSinceId).toBe(ids.at(-1));

    const first = (await data<{ run: { events: EventPageView } }>(EVENTS, { id: analysed.runId, limit: 2 })).run.events;
    expect(first).toEqual({ events: all.events.slice(0, 2), nextSinceId: ids[1], hasMore: true });
    const second = (await data<{ run: { events: EventPageView } }>(EVENTS, { id: analysed.runId, since: first.nextSinceId, limit: 2 })).run.events;
    expect(second).toEqual({ events: all.events.slice(2, 4), nextSinceId: ids[3], hasMore: false });
    const none = (await data<{ run: { events: EventPageView } }>(EVENTS, { id: analysed.runId, since: second.nextSinceId, limit: 2 })).run.events;
    expect(none).toEqual({ events: [], nextSinceId: ids[3], hasMore: false });

    // A SafeInt may also be written as a string of digits.
    const asString = await data<{ run: { events: EventPageView } }>(`{ run(id: "${analysed.runId}") { events(sinceId: "${ids[2]}") { ${EVENT_FIELDS} } } }`);
    expect(asString.run.events).toEqual({ events: all.events.slice(3), nextSinceId: ids[3], hasMore: false });
  });

  test('run artifacts are the files the run wrote, in path order, with size and sha256', async () => {
    const { run } = await data<{ run: { artifacts: Array<Record<string, unknown>> } }>(
      `query($id: ID!) { run(id: $id) { artifacts { id runId kind path createdAt sizeBytes sha256 } } }`,
      { id: analysed.runId },
    );
    const output = path.join(workspace, '.anton', 'output');
    expect(run.artifacts).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{12}$/), runId: analysed.runId, kind: 'file', path: path.join(output, 'notes', 'README'), createdAt: expect.stringMatching(ISO_INSTANT), sizeBytes: README.length, sha256: sha256(README) },
      { id: expect.stringMatching(/^[0-9a-f]{12}$/), runId: analysed.runId, kind: 'csv', path: path.join(output, 'report.csv'), createdAt: expect.stringMatching(ISO_INSTANT), sizeBytes: REPORT_CSV.length, sha256: sha256(REPORT_CSV) },
    ]);
  });

  test('runTrace bundles the run, its events (paged), artifacts, approvals, usage and what the model saw', async () => {
    const TRACE = `query($id: ID!, $since: SafeInt, $limit: Int) {
      runTrace(runId: $id, eventsSinceId: $since, eventsLimit: $limit) {
        run { id status } events { ${EVENT_FIELDS} } artifacts { kind } approvals { id }
        usage { inputTokens outputTokens totalTokens toolCalls } provider model modelPrompt systemPrompt
      }
    }`;
    const runEvents = (await data<{ run: { events: EventPageView } }>(`query($id: ID!) { run(id: $id) { events { ${EVENT_FIELDS} } } }`, { id: analysed.runId })).run.events;
    const trace = await data<{ runTrace: Record<string, unknown> }>(TRACE, { id: analysed.runId });
    expect(trace.runTrace).toEqual({
      run: { id: analysed.runId, status: 'COMPLETED' },
      events: runEvents,
      artifacts: [{ kind: 'file' }, { kind: 'csv' }],
      approvals: [],
      usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150, toolCalls: 2 },
      provider: 'scripted',
      model: 'scripted-1',
      modelPrompt: 'analyse',
      systemPrompt: 'You are a test.',
    });
    const page = await data<{ runTrace: { events: EventPageView } }>(TRACE, { id: analysed.runId, since: runEvents.events[0]?.id, limit: 1 });
    expect(page.runTrace.events).toEqual({ events: runEvents.events.slice(1, 2), nextSinceId: runEvents.events[1]?.id, hasMore: true });

    const unknown = await postGraphQL(service, { query: '{ runTrace(runId: "nope") { provider } }' });
    expectOneError(unknown, { message: "Unknown run_id 'nope'.", code: 'NOT_FOUND', path: ['runTrace'], status: 200 });
    expect(unknown.json?.data).toEqual({ runTrace: null });
  });

  test('a failing agent gives FAILED with the error, an empty reply and the usage so far', async () => {
    const failed = await sendTurn({ sessionId: 'ops-run', message: 'boom' });
    expect(failed).toEqual({
      runId: failed.run.id,
      status: 'FAILED',
      reply: '',
      error: 'model exploded',
      pendingApprovalIds: [],
      totalTokens: 6,
      toolCalls: 0,
      reused: false,
      run: expect.objectContaining({ status: 'FAILED', response: '', error: 'model exploded', inputTokens: 5, outputTokens: 1, totalTokens: 6, completedAt: expect.stringMatching(ISO_INSTANT) }),
    });
    const trace = await data<{ runTrace: { provider: string; usage: unknown } }>(`{ runTrace(runId: "${failed.runId}") { provider usage { inputTokens outputTokens totalTokens toolCalls } } }`);
    expect(trace.runTrace).toEqual({ provider: 'scripted', usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6, toolCalls: 0 } });
  });

  test('session.runs pages newest first; session.events lists the session events oldest first', async () => {
    interface Runs {
      session: {
        runs: { edges: Array<{ cursor: string; node: { id: string; prompt: string } }>; nodes: Array<{ id: string; prompt: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
        events: EventPageView;
      };
    }
    const RUNS = `query($first: Int, $after: String) { session(id: "ops-run") {
      runs(first: $first, after: $after) { edges { cursor node { id prompt } } nodes { id prompt } pageInfo { hasNextPage endCursor } }
      events(limit: 100) { ${EVENT_FIELDS} }
    } }`;
    const all = (await data<Runs>(RUNS, { first: 100 })).session;
    expect(all.runs.nodes.map((run) => run.prompt)).toEqual(['boom', '  spaces\tand\nnewlines, unicode ✓  ', 'analyse']);
    expect(all.runs.nodes.at(-1)?.id).toBe(analysed.runId);
    expect(all.runs.pageInfo).toEqual({ hasNextPage: false, endCursor: all.runs.edges.at(-1)?.cursor });

    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    for (let page = 0; page < 10; page += 1) {
      const { runs }: Runs['session'] = (await data<Runs>(RUNS, { first: 1, after })).session;
      expect(runs.edges.map((edge) => edge.node)).toEqual(runs.nodes);
      seen.push(...runs.nodes.map((run) => run.id));
      hasNext.push(runs.pageInfo.hasNextPage);
      if (!runs.pageInfo.hasNextPage) break;
      after = runs.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.runs.nodes.map((run) => run.id));
    expect(hasNext).toEqual([true, true, false]);

    const events = all.events;
    expect(events.hasMore).toBe(false);
    expect(events.events.every((event) => event.sessionId === 'ops-run')).toBe(true);
    expect(events.events.filter((event) => event.runId === analysed.runId).map((event) => event.eventType)).toEqual(['run_created', 'tool_call', 'step', 'step']);
    const ids = events.events.map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.nextSinceId).toBe(ids.at(-1));

    const invalid = await postGraphQL(service, { query: '{ session(id: "ops-run") { runs(after: "%%%") { nodes { id } } } }' });
    expectOneError(invalid, { message: "Invalid cursor '%%%'.", code: 'BAD_USER_INPUT', path: ['session', 'runs'], status: 200 });
    expect(invalid.json?.data).toEqual({ session: null });
  });

  test('sendTurn without waiting returns the running run with an empty reply; it completes on its own', async () => {
    await data(`mutation { createSession(input: { sessionId: "ops-nowait" }) { id } }`);
    const turn = await sendTurn({ sessionId: 'ops-nowait', message: 'hello', waitForCompletion: false });
    expect(turn).toMatchObject({ status: 'RUNNING', reply: '', error: null, totalTokens: 0, toolCalls: 0, reused: false });
    expect(turn.run).toMatchObject({ status: 'RUNNING', response: null, completedAt: null });
    const done = await waitUntil(async () => {
      const run = await getRun(turn.runId);
      return run.completedAt ? run : undefined;
    }, 10_000, 'the run to complete');
    expect(done).toMatchObject({ status: 'COMPLETED', response: 'done', inputTokens: 10, outputTokens: 5, totalTokens: 15 });
  });

  test('cancelRun stops a running run (partial reply kept); cancelling again reports it finished', async () => {
    await data(`mutation { createSession(input: { sessionId: "ops-cancel" }) { id } }`);
    // The wait times out: the blocked run goes on and comes back RUNNING.
    const turn = await sendTurn({ sessionId: 'ops-cancel', message: 'block', waitTimeoutSeconds: 0.2 });
    expect(turn).toMatchObject({ status: 'RUNNING', reply: '', error: null, reused: false });
    expect(turn.run).toMatchObject({ status: 'RUNNING', response: null, completedAt: null, cancelRequested: false });
    await waitUntil(() => (agent.started.some((input) => input.runId === turn.runId) ? true : undefined), 10_000, 'the agent to start');

    const CANCEL = `mutation($id: ID!) { cancelRun(id: $id) { runId status cancelRequested message run { id cancelRequested } } }`;
    const cancelled = await data<{ cancelRun: unknown }>(CANCEL, { id: turn.runId });
    expect(cancelled.cancelRun).toEqual({
      runId: turn.runId,
      status: 'cancellation_requested',
      cancelRequested: true,
      message: 'Cancellation has been requested.',
      run: { id: turn.runId, cancelRequested: true },
    });

    const finished = await waitUntil(async () => {
      const run = await getRun(turn.runId);
      return run.completedAt ? run : undefined;
    }, 10_000, 'the cancelled run to finish');
    expect(finished).toMatchObject({ status: 'CANCELLED', response: 'partial ', error: null, inputTokens: 7, outputTokens: 3, totalTokens: 10, toolCalls: 1, cancelRequested: true });

    const events = (await data<{ run: { events: EventPageView } }>(`query($id: ID!) { run(id: $id) { events { ${EVENT_FIELDS} } } }`, { id: turn.runId })).run.events;
    expect(events.events.map((event) => [event.eventType, event.payload])).toEqual([
      ['run_created', { idempotency_key: '', worker_mode: 'local' }],
      ['run_cancel_requested', {}],
    ]);

    const again = await data<{ cancelRun: unknown }>(CANCEL, { id: turn.runId });
    expect(again.cancelRun).toEqual({ runId: turn.runId, status: 'cancelled', cancelRequested: false, message: 'Run already finished.', run: { id: turn.runId, cancelRequested: true } });
    const completed = await data<{ cancelRun: unknown }>(CANCEL, { id: analysed.runId });
    expect(completed.cancelRun).toEqual({ runId: analysed.runId, status: 'completed', cancelRequested: false, message: 'Run already finished.', run: { id: analysed.runId, cancelRequested: false } });
  });

  test('unknown ids are NOT_FOUND for run, cancelRun, sendTurn and session', async () => {
    const run = await postGraphQL(service, { query: '{ run(id: "x") { id } }' });
    expectOneError(run, { message: "Unknown run_id 'x'.", code: 'NOT_FOUND', path: ['run'], status: 200 });
    expect(run.json?.data).toEqual({ run: null });

    const cancel = await postGraphQL(service, { query: 'mutation { cancelRun(id: "x") { runId } }' });
    expectOneError(cancel, { message: "Unknown run_id 'x'.", code: 'NOT_FOUND', path: ['cancelRun'], status: 200 });
    expect(cancel.json?.data).toBeNull();

    const turn = await postGraphQL(service, { query: SEND_TURN, variables: { input: { sessionId: 'nope', message: 'hi' } } });
    expectOneError(turn, { message: "Unknown session_id 'nope'.", code: 'NOT_FOUND', path: ['sendTurn'], status: 200 });
    expect(turn.json?.data).toBeNull();
  });

  test('a negative wait time-out is BAD_USER_INPUT and creates no run', async () => {
    const before = (await data<{ session: { runs: { nodes: unknown[] } } }>(`{ session(id: "ops-run") { runs { nodes { id } } } }`)).session.runs.nodes.length;
    const response = await postGraphQL(service, { query: SEND_TURN, variables: { input: { sessionId: 'ops-run', message: 'hi', waitTimeoutSeconds: -1 } } });
    expectOneError(response, { message: 'wait_timeout_seconds must be a number >= 0.', code: 'BAD_USER_INPUT', path: ['sendTurn'], status: 200 });
    const after = (await data<{ session: { runs: { nodes: unknown[] } } }>(`{ session(id: "ops-run") { runs { nodes { id } } } }`)).session.runs.nodes.length;
    expect(after).toBe(before);
  });
});
