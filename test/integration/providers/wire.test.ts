// What each provider puts on the wire, checked on the fake server's recording: a conversation
// with a tool round trip (tool_use → tool_result) and the request that follows it.

import type { ChatMessage, ToolSpec } from '../../../src/agent/providers/types.js';
import type { FakeLlmServer } from '../../kit/fakeLlm.js';
import { CASES, collect, request } from './kit.js';
import type { ProviderCase } from './kit.js';

const SQL_TOOL: ToolSpec = {
  name: 'run_sql',
  description: 'Runs a query.',
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

const caseOf = (kind: string): ProviderCase => CASES.find((c) => c.kind === kind) as ProviderCase;

/** Two calls: the model asks for a tool, we answer it, the model replies. Returns both requests. */
async function roundTrip(c: ProviderCase, server: FakeLlmServer): Promise<void> {
  const provider = c.provider(server.url);
  const history: ChatMessage[] = [{ role: 'user', content: 'How many rows?' }];
  const first = await collect(provider.stream(request({ system: 'Be brief.', messages: history, tools: [SQL_TOOL] })));

  history.push({
    role: 'assistant',
    content: [
      { type: 'text', text: first.complete.content },
      ...first.complete.toolCalls.map((call) => ({ type: 'tool_use' as const, ...call })),
    ],
  });
  history.push({
    role: 'user',
    content: first.complete.toolCalls.map((call) => ({ type: 'tool_result' as const, tool_use_id: call.id, content: '42' })),
  });
  const second = await collect(provider.stream(request({ system: 'Be brief.', messages: history, tools: [SQL_TOOL] })));
  expect(second.complete.content).toBe('There are 42 rows.');
}

const SCRIPT = [
  { text: ['Counting.'], toolCalls: [{ id: 'toolu_01', name: 'run_sql', input: { query: 'SELECT count(*) FROM t' } }] },
  { text: ['There are ', '42 rows.'] },
];

describe('anthropic on the wire', () => {
  const c = caseOf('anthropic');
  let server: FakeLlmServer;
  beforeEach(async () => {
    server = await c.start(SCRIPT);
  });
  afterEach(() => server.close());

  it('sends Messages API requests with tool_use and tool_result blocks as they are', async () => {
    await roundTrip(c, server);

    const [first, second] = server.requests;
    expect(first?.path).toBe('/v1/messages');
    expect(first?.headers['x-api-key']).toBe('sk-ant-test');
    expect(first?.headers['anthropic-version']).toBe('2023-06-01');
    expect(first?.body).toEqual({
      model: 'test-model',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'How many rows?' }],
      tools: [{ name: 'run_sql', description: 'Runs a query.', input_schema: SQL_TOOL.inputSchema }],
      stream: true,
    });
    expect(second?.body.messages).toEqual([
      { role: 'user', content: 'How many rows?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Counting.' },
          { type: 'tool_use', id: 'toolu_01', name: 'run_sql', input: { query: 'SELECT count(*) FROM t' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '42' }] },
    ]);
  });
});

describe.each(['openai', 'openai-compatible'])('%s on the wire', (kind) => {
  const c = caseOf(kind);
  let server: FakeLlmServer;
  beforeEach(async () => {
    server = await c.start(SCRIPT);
  });
  afterEach(() => server.close());

  it('sends Chat Completions requests with tool_calls and role:"tool" messages', async () => {
    await roundTrip(c, server);

    const [first, second] = server.requests;
    expect(first?.path).toBe('/v1/chat/completions');
    expect(first?.body).toEqual({
      model: 'test-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'How many rows?' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'run_sql', description: 'Runs a query.', parameters: SQL_TOOL.inputSchema },
        },
      ],
      max_completion_tokens: 4096,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(second?.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'How many rows?' },
      {
        role: 'assistant',
        content: 'Counting.',
        tool_calls: [
          {
            id: 'toolu_01',
            type: 'function',
            function: { name: 'run_sql', arguments: '{"query":"SELECT count(*) FROM t"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '42' },
    ]);
  });

  it('authenticates with the key, or a placeholder when an openai-compatible server needs none', async () => {
    await collect(c.provider(server.url).stream(request()));

    const headers = server.requests[0]?.headers ?? {};
    expect(headers.authorization).toBe(kind === 'openai' ? 'Bearer sk-test' : 'Bearer not-needed');
    if (kind === 'openai-compatible') {
      expect(headers['openai-organization']).toBeUndefined();
      expect(headers['openai-project']).toBeUndefined();
    }
  });
});
