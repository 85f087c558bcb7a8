// Our Anthropic-style history and tools, translated to each provider's request.

import { toAnthropicRequest } from '../../../src/agent/providers/anthropic.js';
import { toOpenAIMessages, toOpenAIRequest } from '../../../src/agent/providers/openai.js';
import type { ChatMessage, StreamRequest, ToolSpec } from '../../../src/agent/providers/types.js';

const TOOL: ToolSpec = {
  name: 'scratchpad',
  description: 'Runs Python.',
  inputSchema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
};

const HISTORY: ChatMessage[] = [
  { role: 'user', content: 'Plot it.' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Running two cells.' },
      { type: 'tool_use', id: 'call_a', name: 'scratchpad', input: { code: 'print(1)' } },
      { type: 'tool_use', id: 'call_b', name: 'scratchpad', input: { code: 'print(2)' } },
    ],
  },
  {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_a', content: '1' },
      { type: 'tool_result', tool_use_id: 'call_b', content: '[error] boom' },
    ],
  },
  { role: 'assistant', content: 'Done.' },
];

function streamRequest(overrides: Partial<StreamRequest> = {}): StreamRequest {
  return {
    model: 'm',
    system: 'sys',
    messages: HISTORY,
    tools: [TOOL],
    maxTokens: 4096,
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('anthropic request', () => {
  it('passes blocks through and renames the tool schema to input_schema', () => {
    expect(toAnthropicRequest(streamRequest())).toEqual({
      model: 'm',
      max_tokens: 4096,
      system: 'sys',
      messages: HISTORY,
      tools: [{ name: 'scratchpad', description: 'Runs Python.', input_schema: TOOL.inputSchema }],
      stream: true,
    });
  });

  it('leaves out an empty system prompt, an empty tool list and empty text blocks', () => {
    const request = toAnthropicRequest(
      streamRequest({
        system: '',
        tools: [],
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'tool_use', id: 't', name: 'x', input: {} }] },
        ],
      }),
    );
    expect(request).not.toHaveProperty('system');
    expect(request).not.toHaveProperty('tools');
    expect(request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'x', input: {} }] });
  });
});

describe('openai request', () => {
  it('puts the system prompt first, tool calls on the assistant and one tool message per result', () => {
    expect(toOpenAIRequest(streamRequest())).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'Plot it.' },
        {
          role: 'assistant',
          content: 'Running two cells.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'scratchpad', arguments: '{"code":"print(1)"}' } },
            { id: 'call_b', type: 'function', function: { name: 'scratchpad', arguments: '{"code":"print(2)"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '1' },
        { role: 'tool', tool_call_id: 'call_b', content: '[error] boom' },
        { role: 'assistant', content: 'Done.' },
      ],
      tools: [{ type: 'function', function: { name: 'scratchpad', description: 'Runs Python.', parameters: TOOL.inputSchema } }],
      max_completion_tokens: 4096,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('leaves out an empty system prompt and an empty tool list (OpenAI rejects tools: [])', () => {
    const request = toOpenAIRequest(streamRequest({ system: '', tools: [], messages: [{ role: 'user', content: 'hi' }] }));
    expect(request.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(request).not.toHaveProperty('tools');
  });

  it('sends null content for an assistant message that only calls tools', () => {
    expect(
      toOpenAIMessages({ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'x', input: { a: 1 } }] }),
    ).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'x', arguments: '{"a":1}' } }] },
    ]);
  });

  it('joins the text blocks of one message', () => {
    expect(
      toOpenAIMessages({ role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }),
    ).toEqual([{ role: 'assistant', content: 'ab' }]);
  });

  it('sends tool results before the text of the same user message', () => {
    expect(
      toOpenAIMessages({
        role: 'user',
        content: [
          { type: 'text', text: 'Also, hurry.' },
          { type: 'tool_result', tool_use_id: 'c', content: 'ok' },
        ],
      }),
    ).toEqual([
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
      { role: 'user', content: 'Also, hurry.' },
    ]);
  });
});
