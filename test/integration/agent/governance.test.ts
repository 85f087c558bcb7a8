// Governance with the real agent (reference §4, §5; decisions 12 and 17): the local SQLite
// connector behind the tool gate, approvals decided over REST and reused by the next turn, policy
// refusals, tools the run was not offered, and budgets that end the run.
import type { TestService } from '../../kit/service.js';
import {
  type Api,
  type LlmRelay,
  ofType,
  previews,
  PROVIDERS,
  stepsOf,
  toolNamesOf,
  types,
  useAgentService,
  useWarehouseAgentService,
  type Warehouse,
  wireProblems,
} from './helpers.js';

const INSERT = { action: 'write', connector_id: 'warehouse', query: "INSERT INTO sales (region, amount) VALUES ('latam', 4.5)" };
const DELETE = { action: 'write', connector_id: 'warehouse', query: "DELETE FROM sales WHERE region = 'us'" };

describe.each(PROVIDERS)('$name with the local SQLite connector', (provider) => {
  let relay: LlmRelay;
  let warehouse: Warehouse;
  let api: Api;

  useWarehouseAgentService(provider, (setup) => {
    ({ relay, warehouse, api } = setup);
  });

  test('a write needs approval; once approved, the identical call in a new turn is executed', async () => {
    const { id: session } = await api.session('write');
    const before = warehouse.count();

    let llm = await relay.script([
      { text: ['Writing.'], toolCalls: [{ id: 'w1', name: 'connector', input: INSERT }] },
      { text: ['Waiting for approval.'] },
    ]);
    const first = await api.turn(session, 'Add a latam sale');
    expect(first).toMatchObject({ status: 'approval_required', reply: 'Writing.\n\nWaiting for approval.', error: null, tool_calls: 1 });
    expect(first.pending_approval_ids).toHaveLength(1);
    const [approvalId] = first.pending_approval_ids;
    expect(previews(await api.events(session, first.run_id))).toEqual([`Pending approval ${approvalId}: Connector write requires approval.`]);
    expect(warehouse.count()).toBe(before);
    // The model was told, in the tool result of its follow-up request.
    expect(stepsOf(provider, llm.requests[1]!).at(-1)).toEqual({
      role: 'tool_result',
      id: 'w1',
      content: `Pending approval ${approvalId}: Connector write requires approval.`,
    });

    const pending = await api.approvals(session);
    expect(pending).toEqual([
      expect.objectContaining({
        id: approvalId,
        session_id: session,
        run_id: first.run_id,
        tool_name: 'connector',
        tool_input: INSERT,
        reason: 'Connector write requires approval.',
        status: 'pending',
        decided_at: null,
        decision_note: null,
      }),
    ]);
    expect(await api.run(first.run_id)).toMatchObject({ status: 'approval_required', pending_approval_ids: [approvalId] });

    const decided = await api.decide(approvalId!, true, 'go ahead');
    expect(decided).toMatchObject({ id: approvalId, status: 'approved', decision_note: 'go ahead' });
    expect(await api.approvals(session)).toEqual([]);

    llm = await relay.script([{ toolCalls: [{ id: 'w2', name: 'connector', input: INSERT }] }, { text: ['Done.'] }]);
    const second = await api.turn(session, 'It is approved, go on');
    expect(second).toMatchObject({ status: 'completed', reply: 'Done.', error: null, pending_approval_ids: [], tool_calls: 1 });
    const result = "Connector 'warehouse' write executed successfully. Affected rows: 1.";
    expect(previews(await api.events(session, second.run_id))).toEqual([result]);
    expect(warehouse.count()).toBe(before + 1);
    expect(stepsOf(provider, llm.requests[1]!).at(-1)).toEqual({ role: 'tool_result', id: 'w2', content: result });
    // No new approval was asked for.
    expect(await api.approvals(session)).toEqual([]);
    for (const request of llm.requests) expect(wireProblems(provider, request)).toEqual([]);
  });

  test('a rejected fingerprint is refused with the reviewer text, and nothing is written', async () => {
    const { id: session } = await api.session('reject');
    const before = warehouse.count();
    await relay.script([{ toolCalls: [{ id: 'd1', name: 'connector', input: DELETE }] }, { text: ['Needs a reviewer.'] }]);
    const first = await api.turn(session, 'Delete the us sales');
    expect(first.status).toBe('approval_required');
    await api.decide(first.pending_approval_ids[0]!, false, 'no');

    const llm = await relay.script([{ toolCalls: [{ id: 'd2', name: 'connector', input: DELETE }] }, { text: ['It was rejected.'] }]);
    const second = await api.turn(session, 'Try again');
    expect(second).toMatchObject({ status: 'completed', reply: 'It was rejected.', pending_approval_ids: [], tool_calls: 1 });
    expect(previews(await api.events(session, second.run_id))).toEqual(['Rejected: Request rejected by reviewer.']);
    expect(stepsOf(provider, llm.requests[1]!).at(-1)).toEqual({ role: 'tool_result', id: 'd2', content: 'Rejected: Request rejected by reviewer.' });
    expect(warehouse.count()).toBe(before);
    expect(await api.approvals(session)).toEqual([]);
  });

  test('a blocked SQL fragment is refused by the policy without an approval', async () => {
    const { id: session } = await api.session('blocked');
    await relay.script([
      { toolCalls: [{ id: 'b1', name: 'connector', input: { action: 'write', connector_id: 'warehouse', query: 'DROP TABLE sales' } }] },
      { text: ['Refused.'] },
    ]);
    const result = await api.turn(session, 'Drop the sales table');
    expect(result).toMatchObject({ status: 'completed', reply: 'Refused.', pending_approval_ids: [], tool_calls: 1 });
    expect(previews(await api.events(session, result.run_id))).toEqual(['Rejected: Query contains blocked SQL fragment: drop table']);
    expect(warehouse.tables()).toContain('sales');
    expect(await api.approvals(session)).toEqual([]);
  });

  test('an unbounded SELECT needs approval; a query with LIMIT runs and its rows reach the model', async () => {
    const { id: session } = await api.session('select');
    const llm = await relay.script([
      {
        toolCalls: [
          { id: 'q1', name: 'connector', input: { action: 'query', connector_id: 'warehouse', query: 'SELECT * FROM sales' } },
          { id: 'q2', name: 'connector', input: { action: 'query', connector_id: 'warehouse', query: 'SELECT region, amount FROM sales ORDER BY id LIMIT 2' } },
        ],
      },
      { text: ['Two rows shown.'] },
    ]);
    const result = await api.turn(session, 'Show sales');
    expect(result).toMatchObject({ status: 'approval_required', reply: 'Two rows shown.', tool_calls: 2 });
    expect(result.pending_approval_ids).toHaveLength(1);
    const [approval] = await api.approvals(session);
    expect(approval).toMatchObject({
      id: result.pending_approval_ids[0],
      tool_name: 'connector',
      tool_input: { action: 'query', connector_id: 'warehouse', query: 'SELECT * FROM sales' },
      reason: 'Unbounded SELECT requires approval (missing WHERE/LIMIT).',
    });
    const [pendingText, queryText] = previews(await api.events(session, result.run_id));
    expect(pendingText).toBe(`Pending approval ${approval!.id}: Unbounded SELECT requires approval (missing WHERE/LIMIT).`);
    expect(queryText).toContain("Connector 'warehouse' query completed.");
    expect(queryText).toContain('Rows returned: 2 (row_count=2, truncated=False).');
    expect(queryText).toContain('Columns: region, amount');
    expect(queryText).toContain('Preview:');
    expect(queryText).toContain("['eu', 10.5]");
    expect(queryText).toContain("['us', 3.0]");
    expect(queryText).not.toContain('apac');
    expect(stepsOf(provider, llm.requests[1]!).at(-1)).toEqual({ role: 'tool_result', id: 'q2', content: queryText });
  });
});

// Decision 17 needs a service without a connector; the budget tests share it (their limits do
// not touch the decision-17 run: one tool call, 15 tokens).
describe.each(PROVIDERS)('$name without a connector, with budgets', (provider) => {
  let relay: LlmRelay;
  let service: TestService;
  let api: Api;

  useAgentService(
    provider,
    (setup) => {
      ({ relay, service, api } = setup);
    },
    { env: { ANTON_CONNECTOR_MODE: 'none', ANTON_MAX_TOOL_CALLS_PER_RUN: '1', ANTON_MAX_TOKENS_PER_RUN: '50' } },
  );

  test('decision 17: a connector call is refused as not available, and no approval is created', async () => {
    const { id: session } = await api.session('no-connector');
    const llm = await relay.script([{ toolCalls: [{ id: 'n1', name: 'connector', input: INSERT }] }, { text: ['No connector here.'] }]);
    const result = await api.turn(session, 'Add a sale');
    expect(result).toMatchObject({ status: 'completed', reply: 'No connector here.', pending_approval_ids: [], tool_calls: 1 });
    expect(toolNamesOf(provider, llm.requests[0]!)).not.toContain('connector');
    expect(previews(await api.events(session, result.run_id))).toEqual(["Rejected: Tool 'connector' is not available in this run."]);
    expect(await api.approvals(session)).toEqual([]);
    expect(await service.db.approval.count({ where: { sessionId: session } })).toBe(0);
  });

  const twoCalls = {
    toolCalls: [
      { id: 'u1', name: 'update_context', input: { updates: [] } },
      { id: 'u2', name: 'update_context', input: { updates: [] } },
    ],
  };

  test('decision 12: the tool-call budget ends the run as failed with a budget_exceeded event', async () => {
    const { id: session } = await api.session('tool-budget');
    const llm = await relay.script([twoCalls, { text: ['should not be asked'] }]);
    const result = await api.turn(session, 'Do two things');
    const message = 'Run tool-call budget exceeded (2 > 1).';
    expect(result).toMatchObject({ status: 'failed', error: message, reply: '', tool_calls: 2, total_tokens: 15 });
    const events = await api.events(session, result.run_id);
    expect(types(events)).toEqual([
      'run_created',
      'memory_retrieval',
      'stream_complete',
      'llm_response',
      'tool_call',
      'tool_result',
      'tool_call',
      'tool_result',
      'budget_exceeded',
    ]);
    expect(previews(events)).toEqual(['No valid updates provided.', `Rejected: ${message}`]);
    expect(ofType(events, 'budget_exceeded')[0]?.payload).toMatchObject({ error: message });
    expect(llm.requests).toHaveLength(1);
    expect(await api.run(result.run_id)).toMatchObject({ status: 'failed', error: message, tool_calls: 2 });
  });

  test('decision 12: the token budget ends the run as failed', async () => {
    const { id: session } = await api.session('token-budget');
    const llm = await relay.script([{ ...twoCalls, usage: { input: 80, output: 20 } }, { text: ['should not be asked'] }]);
    const result = await api.turn(session, 'Think hard');
    const message = 'Run token budget exceeded (100 > 50).';
    expect(result).toMatchObject({ status: 'failed', error: message, reply: '', total_tokens: 100 });
    const events = await api.events(session, result.run_id);
    expect(types(events)).toContain('budget_exceeded');
    expect(types(events).at(-1)).toBe('budget_exceeded');
    expect(ofType(events, 'budget_exceeded')[0]?.payload).toMatchObject({ error: message });
    expect(llm.requests).toHaveLength(1);
    expect(await api.run(result.run_id)).toMatchObject({ status: 'failed', error: message, input_tokens: 80, output_tokens: 20 });
  });

  test('after a run failed on its budget, the next turn still sends the provider a valid conversation', async () => {
    const { id: session } = await api.session('after-budget');
    await relay.script([twoCalls]);
    const failed = await api.turn(session, 'Do two things');
    expect(failed.status).toBe('failed');

    const llm = await relay.script([{ text: ['Fine.'] }]);
    const next = await api.turn(session, 'Just answer');
    expect(next).toMatchObject({ status: 'completed', reply: 'Fine.' });
    // Every tool call in the history must be answered by a tool result, or the real API refuses
    // the whole request (HTTP 400) and the session can never run again.
    expect(wireProblems(provider, llm.requests[0]!)).toEqual([]);
  });
});
