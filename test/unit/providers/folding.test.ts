// Folding raw stream events into one `complete` event, including what real servers get wrong.

import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions/completions';
import { StreamFolder } from '../../../src/agent/providers/anthropic.js';
import { ChunkFolder } from '../../../src/agent/providers/openai.js';
import { parseToolInput } from '../../../src/agent/providers/shared.js';
import { ProviderError } from '../../../src/agent/providers/types.js';

describe('parseToolInput', () => {
  it('parses a JSON object', () => {
    expect(parseToolInput('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it('reads empty text as no arguments', () => {
    expect(parseToolInput('')).toEqual({});
    expect(parseToolInput('  ')).toEqual({});
  });

  it('keeps text that is not a JSON object under _raw', () => {
    expect(parseToolInput('{"code": "print(')).toEqual({ _raw: '{"code": "print(' });
    expect(parseToolInput('[1,2]')).toEqual({ _raw: '[1,2]' });
    expect(parseToolInput('"text"')).toEqual({ _raw: '"text"' });
  });
});

// The SDK's event types carry many fields the folder never reads; tests give only what matters.
const anthropicEvents = (events: object[]): RawMessageStreamEvent[] => events as RawMessageStreamEvent[];

describe('anthropic StreamFolder', () => {
  const start = { type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1 } } };

  it('keeps a tool block whose JSON is cut off, raw', () => {
    const folder = new StreamFolder();
    for (const event of anthropicEvents([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'x', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a": ' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 3 } },
      { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 4 } },
      { type: 'message_stop' },
    ])) {
      folder.add(event);
    }
    expect(folder.complete('Anthropic API')).toEqual({
      type: 'complete',
      content: '',
      toolCalls: [{ id: 't1', name: 'x', input: { _raw: '{"a": ' } }],
      usage: { inputTokens: 12, outputTokens: 4 },
      stopReason: 'max_tokens',
    });
  });

  it('ignores thinking blocks and text outside a text block', () => {
    const folder = new StreamFolder();
    const texts = anthropicEvents([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ]).map((event) => folder.add(event));
    expect(texts.filter(Boolean)).toEqual(['Hi']);
    expect(folder.complete('Anthropic API')).toMatchObject({ content: 'Hi', toolCalls: [] });
  });

  it('refuses to complete without message_stop', () => {
    const folder = new StreamFolder();
    folder.add(anthropicEvents([start])[0] as RawMessageStreamEvent);
    expect(() => folder.complete('Anthropic API')).toThrow(ProviderError);
  });
});

const chunk = (delta: object, extra: object = {}): ChatCompletionChunk =>
  ({ choices: [{ index: 0, delta, finish_reason: null }], ...extra }) as ChatCompletionChunk;
const finish = (reason: string): ChatCompletionChunk =>
  ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] }) as unknown as ChatCompletionChunk;

describe('openai ChunkFolder', () => {
  it('accumulates argument fragments by index, in first-seen order', () => {
    const folder = new ChunkFolder();
    for (const c of [
      chunk({ tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'second', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'first', arguments: '{"x"' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      finish('tool_calls'),
    ]) {
      folder.add(c);
    }
    expect(folder.complete('OpenAI API')).toMatchObject({
      toolCalls: [
        { id: 'b', name: 'second', input: {} },
        { id: 'a', name: 'first', input: { x: 1 } },
      ],
      stopReason: 'tool_calls',
    });
  });

  it('separates whole calls that a server sent under the same index', () => {
    const folder = new ChunkFolder();
    folder.add(chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'x', arguments: '{"n":1}' } }] }));
    folder.add(chunk({ tool_calls: [{ index: 0, id: 'b', function: { name: 'x', arguments: '{"n":2}' } }] }));
    folder.add(finish('tool_calls'));
    expect(folder.complete('OpenAI API')).toMatchObject({
      toolCalls: [
        { id: 'a', name: 'x', input: { n: 1 } },
        { id: 'b', name: 'x', input: { n: 2 } },
      ],
    });
  });

  it('keeps the first name when a server repeats it, and makes up an id when none is sent', () => {
    const folder = new ChunkFolder();
    folder.add(chunk({ tool_calls: [{ index: 0, function: { name: 'x', arguments: '{"a"' } }] }));
    folder.add(chunk({ tool_calls: [{ index: 0, function: { name: 'x', arguments: ':2}' } }] }));
    folder.add(finish('tool_calls'));
    const complete = folder.complete('OpenAI API');
    expect(complete).toMatchObject({ toolCalls: [{ name: 'x', input: { a: 2 } }] });
    expect(complete.type === 'complete' && complete.toolCalls[0]?.id).toMatch(/^call_0_/);
  });

  it('takes the last usage seen, and zero when the server sends none', () => {
    const folder = new ChunkFolder();
    folder.add(chunk({ content: 'a' }, { usage: { prompt_tokens: 5, completion_tokens: 1 } }));
    folder.add(chunk({ content: 'b' }, { usage: { prompt_tokens: 5, completion_tokens: 2 } }));
    folder.add(finish('stop'));
    expect(folder.complete('OpenAI API')).toMatchObject({ content: 'ab', usage: { inputTokens: 5, outputTokens: 2 } });

    const bare = new ChunkFolder();
    bare.add(chunk({ content: 'a' }));
    bare.add(finish('stop'));
    expect(bare.complete('OpenAI API')).toMatchObject({ usage: { inputTokens: 0, outputTokens: 0 } });
  });

  it('refuses to complete without a finish_reason', () => {
    const folder = new ChunkFolder();
    folder.add(chunk({ content: 'a' }));
    expect(() => folder.complete('OpenAI API')).toThrow(/no finish_reason/);
  });
});
