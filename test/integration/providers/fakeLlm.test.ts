// The fake servers themselves (test/kit/fakeLlm.ts): the parts the provider tests do not reach.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeAnthropic, startFakeOpenAI } from '../../kit/fakeLlm.js';

describe('fake LLM servers', () => {
  it('answer non-streaming requests in the shape the SDKs parse', async () => {
    const turn = { text: ['Hi', '!'], toolCalls: [{ id: 't1', name: 'x', input: { a: 1 } }], usage: { input: 3, output: 2 } };
    const anthropicFake = await startFakeAnthropic([turn]);
    const openaiFake = await startFakeOpenAI([turn]);
    try {
      const anthropic = new Anthropic({ apiKey: 'k', baseURL: anthropicFake.url, maxRetries: 0 });
      const message = await anthropic.messages.create({
        model: 'm',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(message.content).toEqual([
        { type: 'text', text: 'Hi!' },
        { type: 'tool_use', id: 't1', name: 'x', input: { a: 1 } },
      ]);
      expect(message.usage).toMatchObject({ input_tokens: 3, output_tokens: 2 });

      const openai = new OpenAI({ apiKey: 'k', baseURL: openaiFake.url, maxRetries: 0 });
      const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      expect(completion.choices[0]?.message).toMatchObject({
        content: 'Hi!',
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'x', arguments: '{"a":1}' } }],
      });
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    } finally {
      await anthropicFake.close();
      await openaiFake.close();
    }
  });

  it('serves the fallback once the script is used up, and records every request', async () => {
    const fake = await startFakeOpenAI([], { fallback: { text: ['fallback'] } });
    try {
      const openai = new OpenAI({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
      const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'q' }] });
      expect(completion.choices[0]?.message.content).toBe('fallback');

      const [recorded] = await fake.waitForRequests(1, 1000);
      expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'm' } });
      expect(recorded?.headers.authorization).toBe('Bearer k');
    } finally {
      await fake.close();
    }
  });

  it('answers 404 off its endpoint', async () => {
    const fake = await startFakeAnthropic([]);
    try {
      const response = await fetch(`${fake.url}/v1/complete`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(404);
    } finally {
      await fake.close();
    }
  });
});
