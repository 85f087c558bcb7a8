// Runs a real provider against its fake server (test/kit/fakeLlm.ts). One entry per provider
// kind, so behaviour tests can run for all three with `describe.each`.

import { createProvider } from '../../../src/agent/providers/index.js';
import type { ProviderKind, ProviderOptions } from '../../../src/agent/providers/index.js';
import type { LlmProvider, StreamEvent, StreamRequest } from '../../../src/agent/providers/types.js';
import { startFakeAnthropic, startFakeOpenAI } from '../../kit/fakeLlm.js';
import type { FakeLlmServer, FakeOptions, FakeTurn } from '../../kit/fakeLlm.js';

export type Complete = Extract<StreamEvent, { type: 'complete' }>;

export interface ProviderCase {
  kind: ProviderKind;
  start(script: FakeTurn[], options?: FakeOptions): Promise<FakeLlmServer>;
  provider(baseUrl: string, options?: Partial<ProviderOptions>): LlmProvider;
  label: string;
  stopReasons: { text: string; toolUse: string };
}

export const CASES: ProviderCase[] = [
  {
    kind: 'anthropic',
    start: startFakeAnthropic,
    provider: (baseUrl, options) => createProvider('anthropic', { apiKey: 'sk-ant-test', baseUrl }, options),
    label: 'Anthropic API',
    stopReasons: { text: 'end_turn', toolUse: 'tool_use' },
  },
  {
    kind: 'openai',
    start: startFakeOpenAI,
    provider: (baseUrl, options) => createProvider('openai', { apiKey: 'sk-test', baseUrl }, options),
    label: 'OpenAI API',
    stopReasons: { text: 'stop', toolUse: 'tool_calls' },
  },
  {
    kind: 'openai-compatible',
    start: startFakeOpenAI,
    provider: (baseUrl, options) => createProvider('openai-compatible', { apiKey: null, baseUrl }, options),
    label: 'OpenAI-compatible endpoint',
    stopReasons: { text: 'stop', toolUse: 'tool_calls' },
  },
];

export function request(overrides: Partial<StreamRequest> = {}): StreamRequest {
  return {
    model: 'test-model',
    system: 'You are a test.',
    messages: [{ role: 'user', content: 'hello' }],
    tools: [],
    maxTokens: 4096,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** Reads a stream to its end: the text deltas in order and the one `complete` event. */
export async function collect(stream: AsyncIterable<StreamEvent>): Promise<{ texts: string[]; complete: Complete }> {
  const texts: string[] = [];
  const completes: Complete[] = [];
  for await (const event of stream) {
    if (event.type === 'text') texts.push(event.text);
    else completes.push(event);
  }
  if (completes.length !== 1) throw new Error(`expected one complete event, got ${completes.length}`);
  return { texts, complete: completes[0] as Complete };
}

/** What a promise rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
