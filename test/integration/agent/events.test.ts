// The real agent behind the real service, against fake Anthropic and OpenAI servers over HTTP:
// the events of a run and their payloads (reference §3), what the model receives, the trace,
// tool round trips in both wire formats (decision 19), live reply deltas, and provider errors.
import type { TestService } from '../../kit/service.js';
import { waitUntil } from '../../kit/service.js';
import {
  Api,
  CODING_MODEL,
  type LlmRelay,
  ofType,
  openLiveStream,
  PLANNING_MODEL,
  PROVIDERS,
  startAgentService,
  stepsOf,
  systemOf,
  toolNamesOf,
  types,
  useWarehouseAgentService,
  type Warehouse,
  wireProblems,
  writeProjectContext,
} from './helpers.js';

describe.each(PROVIDERS)('$name', (provider) => {
  let relay: LlmRelay;
  let warehouse: Warehouse;
  let service: TestService;
  let api: Api;

  useWarehouseAgentService(provider, (setup) => {
    ({ relay, warehouse, service, api } = setup);
  });

  test('a text-only run: event order and payloads, tokens, and a trace that shows what the model received', async () => {
    const { id: session, workspace } = await api.session('text');
    await writeProjectContext(workspace, '# Sales project\nRevenue lives in the warehouse connector.\n');
    const llm = await relay.script([{ text: ['Hello', ' there.'], usage: { input: 42, output: 7 } }]);

    const result = await api.turn(session, 'Say hello');

    expect(result).toMatchObject({ status: 'completed', reply: 'Hello there.', error: null, pending_approval_ids: [], total_tokens: 49, tool_calls: 0 });
    const events = await api.events(session, result.run_id);
    expect(events.map((event) => [event.event_type, event.payload])).toEqual([
      ['run_created', { worker_mode: 'local', idempotency_key: '' }],
      ['memory_retrieval', { retrieved_count: 0, provenance: [] }],
      ['stream_complete', { stop_reason: provider.stop.text, input_tokens: 42, output_tokens: 7 }],
      ['llm_response', { mode: 'stream', stop_reason: provider.stop.text, input_tokens: 42, output_tokens: 7, tool_calls: 0 }],
      ['assistant_reply', { mode: 'stream', content: 'Hello there.' }],
    ]);
    expect(await api.run(result.run_id)).toMatchObject({
      status: 'completed',
      prompt: 'Say hello',
      response: 'Hello there.',
      input_tokens: 42,
      output_tokens: 7,
      total_tokens: 49,
      tool_calls: 0,
    });

    const trace = await api.trace(result.run_id);
    expect(trace).toMatchObject({ provider: provider.name, model: PLANNING_MODEL, model_prompt: 'Say hello' });
    const system = trace.system_prompt ?? '';
    expect(system).toContain('RUNTIME IDENTITY');
    expect(system).toContain(
      `- Provider: ${provider.name}\n- Planning model: ${PLANNING_MODEL}\n- Coding model: ${CODING_MODEL}\n- Workspace: ${workspace}\n- Connector mode: local\n`,
    );
    expect(system).toContain(
      '\n\n## Project Context (anton.md)\nThe following was written by the user in .anton/anton.md:\n\n# Sales project\nRevenue lives in the warehouse connector.\n',
    );

    // The one model request: the traced system prompt, the bare message, the run's tools.
    expect(llm.requests).toHaveLength(1);
    const [request] = llm.requests;
    expect(systemOf(provider, request!)).toBe(system);
    expect(stepsOf(provider, request!)).toEqual([{ role: 'user', text: 'Say hello' }]);
    expect(toolNamesOf(provider, request!)).toEqual(expect.arrayContaining(['scratchpad', 'connector', 'update_context', 'memorize']));
    expect(request!.body).toMatchObject({ model: PLANNING_MODEL, stream: true });
    if (provider.name === 'anthropic') {
      expect(request!.path).toBe('/v1/messages');
      expect(request!.body.max_tokens).toBe(4096);
      expect(request!.headers['x-api-key']).toBe('test-key');
    } else {
      expect(request!.path).toBe('/v1/chat/completions');
      expect(request!.body).toMatchObject({ max_completion_tokens: 4096, stream_options: { include_usage: true } });
    }
  });

  test('a run without anton.md content has no project-context section', async () => {
    const { id: session, workspace } = await api.session('no-context');
    await writeProjectContext(workspace, '   \n');
    await relay.script([{ text: ['ok'] }]);
    const result = await api.turn(session, 'hi');
    const trace = await api.trace(result.run_id);
    expect(trace.system_prompt).toContain(`- Workspace: ${workspace}\n`);
    expect(trace.system_prompt).not.toContain('Project Context');
  });

  test('tool round trips: tool events, the follow-up requests in the wire format, rounds joined by a blank line, live deltas', async () => {
    const { id: session } = await api.session('tools');
    const live = await openLiveStream(service, session);
    const llm = await relay.script([
      { text: ['Let me look.'], toolCalls: [{ id: 'call_list', name: 'connector', input: { action: 'list' } }], usage: { input: 20, output: 4 } },
      {
        toolCalls: [
          { id: 'call_schema', name: 'connector', input: { action: 'schema', connector_id: 'warehouse' } },
          { id: 'call_ctx', name: 'update_context', input: { updates: [] } },
        ],
        usage: { input: 30, output: 6 },
      },
      { text: ['Found ', 'sales.'], usage: { input: 40, output: 8 } },
    ]);

    try {
      const result = await api.turn(session, 'List the tables');

      // Decision 19: the text of successive rounds is joined by a blank line.
      expect(result).toMatchObject({ status: 'completed', reply: 'Let me look.\n\nFound sales.', error: null, total_tokens: 108, tool_calls: 3 });
      const LIST = `Available connectors:\n- warehouse (sqlite) - ${warehouse.file}`;
      const SCHEMA = "Schema for connector 'warehouse':\n- sales: id, region, amount";
      const CONTEXT = 'No valid updates provided.';

      const events = await api.events(session, result.run_id);
      expect(types(events)).toEqual([
        'run_created',
        'memory_retrieval',
        'stream_complete',
        'llm_response',
        'tool_call',
        'tool_result',
        'stream_complete',
        'llm_response',
        'tool_call',
        'tool_result',
        'tool_call',
        'tool_result',
        'stream_complete',
        'llm_response',
        'assistant_reply',
      ]);
      expect(ofType(events, 'tool_call').map((event) => event.payload)).toEqual([
        { id: 'call_list', name: 'connector', input: { action: 'list' } },
        { id: 'call_schema', name: 'connector', input: { action: 'schema', connector_id: 'warehouse' } },
        { id: 'call_ctx', name: 'update_context', input: { updates: [] } },
      ]);
      expect(ofType(events, 'tool_result').map((event) => event.payload)).toEqual([
        { id: 'call_list', name: 'connector', content_preview: LIST },
        { id: 'call_schema', name: 'connector', content_preview: SCHEMA },
        { id: 'call_ctx', name: 'update_context', content_preview: CONTEXT },
      ]);
      expect(ofType(events, 'llm_response').map((event) => event.payload)).toEqual([
        { mode: 'stream', stop_reason: provider.stop.toolUse, input_tokens: 20, output_tokens: 4, tool_calls: 1 },
        { mode: 'stream', stop_reason: provider.stop.toolUse, input_tokens: 30, output_tokens: 6, tool_calls: 2 },
        { mode: 'stream', stop_reason: provider.stop.text, input_tokens: 40, output_tokens: 8, tool_calls: 0 },
      ]);
      expect(ofType(events, 'assistant_reply')[0]?.payload).toEqual({ mode: 'stream', content: 'Found sales.' });

      // The second request carries the assistant's tool call and the tool's result, in the wire format.
      const requests = await llm.waitForRequests(3);
      expect(requests).toHaveLength(3);
      const second = requests[1]!.body.messages;
      if (provider.name === 'anthropic') {
        expect(second).toEqual([
          { role: 'user', content: 'List the tables' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Let me look.' },
              { type: 'tool_use', id: 'call_list', name: 'connector', input: { action: 'list' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_list', content: LIST }] },
        ]);
      } else {
        expect(second).toEqual([
          { role: 'system', content: systemOf(provider, requests[0]!) },
          { role: 'user', content: 'List the tables' },
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [{ id: 'call_list', type: 'function', function: { name: 'connector', arguments: JSON.stringify({ action: 'list' }) } }],
          },
          { role: 'tool', tool_call_id: 'call_list', content: LIST },
        ]);
      }
      expect(stepsOf(provider, requests[2]!)).toEqual([
        { role: 'user', text: 'List the tables' },
        { role: 'assistant', text: 'Let me look.' },
        { role: 'tool_use', id: 'call_list', name: 'connector', input: { action: 'list' } },
        { role: 'tool_result', id: 'call_list', content: LIST },
        { role: 'tool_use', id: 'call_schema', name: 'connector', input: { action: 'schema', connector_id: 'warehouse' } },
        { role: 'tool_use', id: 'call_ctx', name: 'update_context', input: { updates: [] } },
        { role: 'tool_result', id: 'call_schema', content: SCHEMA },
        { role: 'tool_result', id: 'call_ctx', content: CONTEXT },
      ]);
      for (const request of requests) expect(wireProblems(provider, request)).toEqual([]);

      // A live subscriber saw the same reply text, blank line included, as it streamed.
      const streamed = await waitUntil(
        () => {
          const text = live.deltas.filter((delta) => delta.run_id === result.run_id).map((delta) => delta.text).join('');
          return text === result.reply ? text : undefined;
        },
        10_000,
        'the reply deltas on the live stream',
      );
      expect(streamed).toBe('Let me look.\n\nFound sales.');
    } finally {
      live.close();
    }
  });

  test('the provider answering HTTP 401 fails the run with an error naming the key setting', async () => {
    const { id: session } = await api.session('unauthorised');
    const llm = await relay.script([{ error: { status: 401 } }]);
    const result = await api.turn(session, 'hello');
    expect(result).toMatchObject({ status: 'failed', reply: '', total_tokens: 0, tool_calls: 0 });
    expect(result.error).toContain('HTTP 401');
    expect(result.error).toContain(provider.keySetting);
    expect(llm.requests).toHaveLength(1);
    expect(types(await api.events(session, result.run_id))).toEqual(['run_created', 'memory_retrieval']);
    expect(await api.run(result.run_id)).toMatchObject({ status: 'failed', error: result.error, response: '' });
  });
});

describe('no provider configured', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startAgentService(null, { env: { ANTON_PLANNING_PROVIDER: 'openai' } });
  });
  afterAll(() => service?.dispose());

  test('every run fails at once with an error naming ANTON_OPENAI_API_KEY', async () => {
    const api = new Api(service);
    const { id: session } = await api.session('unconfigured');
    for (const message of ['hello', 'again']) {
      const result = await api.turn(session, message);
      expect(result).toMatchObject({ status: 'failed', reply: '', total_tokens: 0, tool_calls: 0 });
      expect(result.error).toContain('ANTON_OPENAI_API_KEY');
    }
  });
});
