import { RunBudget } from '../../../src/agent/governance/budget.js';
import type { ApprovalStore } from '../../../src/agent/governance/gate.js';
import { MAX_TOOL_ROUNDS, runToolLoop, type LoopInput, type Tool } from '../../../src/agent/loop.js';
import type { ChatMessage, LlmProvider, StreamEvent, StreamRequest, ToolCall } from '../../../src/agent/providers/types.js';
import type { AgentSink } from '../../../src/agent/types.js';

/** An in-process model: each request gets the next scripted response. */
class ScriptedModel implements LlmProvider {
  readonly name = 'in-process';
  readonly requests: StreamRequest[] = [];
  constructor(private readonly responses: Array<{ text?: string; toolCalls?: ToolCall[]; usage?: [number, number] }>, private readonly fallback = { text: 'ok' }) {}
  async *stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    this.requests.push({ ...request, messages: [...request.messages] });
    const response = this.responses.shift() ?? this.fallback;
    const text = response.text ?? '';
    if (text) yield { type: 'text', text };
    const [input, output] = 'usage' in response && response.usage ? response.usage : [10, 5];
    yield { type: 'complete', content: text, toolCalls: 'toolCalls' in response ? (response.toolCalls ?? []) : [], usage: { inputTokens: input, outputTokens: output }, stopReason: 'end_turn' };
  }
}

function harness(model: LlmProvider, tools: Tool[], limits = { maxTokensPerRun: 100_000, maxToolCallsPerRun: 60 }) {
  const events: Array<{ type: string; payload: Record<string, unknown> }> = [];
  const deltas: string[] = [];
  const history: ChatMessage[] = [];
  const pending: string[] = [];
  const sink: AgentSink = {
    event: async (type, payload) => void events.push({ type, payload }),
    replyDelta: (text) => void deltas.push(text),
    usage: () => undefined,
    describe: () => undefined,
  };
  const approvals: ApprovalStore = {
    latestDecision: async () => null,
    createPending: async () => {
      pending.push(`p${pending.length + 1}`);
      return `p${pending.length}`;
    },
  };
  const input: LoopInput = {
    provider: model,
    model: 'm',
    system: 'system',
    userMessage: 'hello',
    tools,
    conversation: { load: async () => [...history], append: async (message) => void history.push(message) },
    sink,
    signal: new AbortController().signal,
    budget: new RunBudget(limits),
    policy: { maxEstimatedSecondsWithoutApproval: 90, connectorMaxQueryLimit: 10000, connectorRequireWhereOrLimit: true },
    approvals,
    sessionId: 's',
    runId: 'r',
  };
  return { input, events, deltas, history, pending };
}

const echo: Tool = { spec: { name: 'echo', description: 'echo', inputSchema: { type: 'object' } }, run: async (input) => `echo ${JSON.stringify(input)}` };
const failing: Tool = { spec: { name: 'flaky', description: 'fails', inputSchema: { type: 'object' } }, run: async () => 'Task failed: nope' };
const call = (name: string, id = 'c', input: Record<string, unknown> = {}): ToolCall => ({ id, name, input });

test('a text-only turn: one call, stored in the history, reply event', async () => {
  const h = harness(new ScriptedModel([{ text: 'hi there' }]), [echo]);
  const outcome = await runToolLoop(h.input);
  expect(outcome).toEqual({ reply: 'hi there', pendingApprovalIds: [], error: null });
  expect(h.events.map((e) => e.type)).toEqual(['stream_complete', 'llm_response', 'assistant_reply']);
  expect(h.history).toEqual([{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi there' }]);
});

test('tool rounds: results fed back, text of rounds joined by a blank line (decision 19)', async () => {
  const model = new ScriptedModel([{ text: 'attempting write', toolCalls: [call('echo', 'c1', { a: 1 })] }, { text: 'after tool' }]);
  const h = harness(model, [echo]);
  const outcome = await runToolLoop(h.input);
  expect(outcome.reply).toBe('attempting write\n\nafter tool');
  expect(h.deltas.join('')).toBe('attempting write\n\nafter tool');
  expect(model.requests[1]!.messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'echo {"a":1}' }] });
  expect(h.events.find((e) => e.type === 'tool_result')!.payload).toEqual({ id: 'c1', name: 'echo', content_preview: 'echo {"a":1}' });
});

test('a tool that was not offered is refused without an approval (decision 17)', async () => {
  const h = harness(new ScriptedModel([{ toolCalls: [call('connector', 'c1', { action: 'write', query: 'DELETE FROM t' })] }, { text: 'ok' }]), [echo]);
  await runToolLoop(h.input);
  expect(h.pending).toEqual([]);
  expect(h.events.find((e) => e.type === 'tool_result')!.payload.content_preview).toBe("Rejected: Tool 'connector' is not available in this run.");
});

test('failure streaks: a nudge on the second failure, a stop notice from the fifth', async () => {
  const responses = Array.from({ length: 5 }, (_, i) => ({ toolCalls: [call('flaky', `c${i}`)] }));
  const h = harness(new ScriptedModel([...responses, { text: 'giving up' }]), [failing]);
  await runToolLoop(h.input);
  const previews = h.events.filter((e) => e.type === 'tool_result').map((e) => String(e.payload.content_preview));
  expect(previews[0]).toBe('Task failed: nope');
  expect(previews[1]).toContain('SYSTEM: This tool has failed twice in a row.');
  expect(previews[2]).toBe('Task failed: nope');
  expect(previews[4]).toContain("SYSTEM: The 'flaky' tool has failed 5 times in a row.");
});

test(`after ${MAX_TOOL_ROUNDS} rounds one final call without tools, whose tokens count (decision 20)`, async () => {
  const model = new ScriptedModel([], { text: '' });
  const looping: LlmProvider = {
    name: 'looping',
    async *stream(request) {
      model.requests.push(request);
      const final = request.tools.length === 0;
      if (final) yield { type: 'text', text: 'summary' };
      yield { type: 'complete', content: final ? 'summary' : '', toolCalls: final ? [] : [call('echo', `c${model.requests.length}`)], usage: { inputTokens: 1, outputTokens: 1 }, stopReason: null };
    },
  };
  const h = harness(looping, [echo]);
  const outcome = await runToolLoop(h.input);
  expect(model.requests).toHaveLength(MAX_TOOL_ROUNDS + 2);
  expect(model.requests.at(-1)!.tools).toEqual([]);
  expect(JSON.stringify(model.requests.at(-1)!.messages.at(-1))).toContain('tool-call rounds on this turn');
  expect(outcome.reply).toBe('summary');
  expect(h.input.budget.totals().inputTokens).toBe(MAX_TOOL_ROUNDS + 2);
  expect(h.events.filter((e) => e.type === 'assistant_reply')).toHaveLength(0);
});

test('budgets end the run with a budget_exceeded event (decision 12)', async () => {
  const tools = harness(new ScriptedModel([{ toolCalls: [call('echo', 'a'), call('echo', 'b')] }]), [echo], { maxTokensPerRun: 1000, maxToolCallsPerRun: 1 });
  expect(await runToolLoop(tools.input)).toMatchObject({ error: 'Run tool-call budget exceeded (2 > 1).' });
  expect(tools.events.at(-1)).toMatchObject({ type: 'budget_exceeded', payload: { error: 'Run tool-call budget exceeded (2 > 1).' } });

  const tokens = harness(new ScriptedModel([{ text: 'long', usage: [80, 30] }]), [echo], { maxTokensPerRun: 100, maxToolCallsPerRun: 60 });
  expect(await runToolLoop(tokens.input)).toMatchObject({ error: 'Run token budget exceeded (110 > 100).' });
});
