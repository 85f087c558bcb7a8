// The behaviour every provider must show, run for each kind against its fake server.

import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../../src/agent/providers/types.js';
import type { FakeLlmServer } from '../../kit/fakeLlm.js';
import { CASES, collect, rejection, request } from './kit.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Weather for a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe.each(CASES)('$kind provider', (c) => {
  let server: FakeLlmServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams text deltas, then one complete event with usage and stop reason', async () => {
    server = await c.start([{ text: ['Hel', 'lo', ' world'], usage: { input: 42, output: 7 } }]);
    const { texts, complete } = await collect(c.provider(server.url).stream(request()));

    expect(texts).toEqual(['Hel', 'lo', ' world']);
    expect(complete).toEqual({
      type: 'complete',
      content: 'Hello world',
      toolCalls: [],
      usage: { inputTokens: 42, outputTokens: 7 },
      stopReason: c.stopReasons.text,
    });
  });

  it('assembles tool calls from streamed JSON argument fragments', async () => {
    const input = { city: 'Zürich', days: [1, 2, 3], options: { units: 'metric', note: 'quote " and \\ here' } };
    server = await c.start([
      {
        text: ['Let me check.'],
        toolCalls: [
          { id: 'call_1', name: 'get_weather', input },
          { id: 'call_2', name: 'get_weather', input: {} },
        ],
        usage: { input: 100, output: 30 },
      },
    ]);
    const { texts, complete } = await collect(c.provider(server.url).stream(request({ tools: [WEATHER_TOOL] })));

    expect(texts).toEqual(['Let me check.']);
    expect(complete.toolCalls).toEqual([
      { id: 'call_1', name: 'get_weather', input },
      { id: 'call_2', name: 'get_weather', input: {} },
    ]);
    expect(complete.content).toBe('Let me check.');
    expect(complete.stopReason).toBe(c.stopReasons.toolUse);
    expect(complete.usage).toEqual({ inputTokens: 100, outputTokens: 30 });
  });

  it('turns HTTP 401 into a ProviderError naming the status, the message and the key setting', async () => {
    server = await c.start([{ error: { status: 401 } }]);
    const error = await rejection(collect(c.provider(server.url).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(new RegExp(`^The ${c.label} answered HTTP 401 \\(\\w+\\): fake error 401\\. Check `));
    expect((error as Error).message).toMatch(/Check ANTON_(ANTHROPIC|OPENAI)_API_KEY/);
  });

  it('turns HTTP 500 into a ProviderError, without retrying', async () => {
    server = await c.start([{ error: { status: 500 } }, { text: ['a retry would get this'] }]);
    const error = await rejection(collect(c.provider(server.url).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(new RegExp(`^The ${c.label} answered HTTP 500 \\((api_error|server_error)\\): fake error 500$`));
    expect(server.requests).toHaveLength(1);
  });

  it('uses the provider message from a non-JSON error body as is', async () => {
    server = await c.start([{ error: { status: 502, body: 'Bad gateway from the proxy' } }]);
    const error = await rejection(collect(c.provider(server.url).stream(request())));

    expect((error as Error).message).toBe(`The ${c.label} answered HTTP 502: Bad gateway from the proxy`);
  });

  it('reports an error event sent mid-stream', async () => {
    server = await c.start([{ text: ['partial'], streamError: { message: 'Overloaded' } }]);
    const error = await rejection(collect(c.provider(server.url).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/reported an error during the stream \((overloaded_error|server_error)\): Overloaded$/);
  });

  it('rejects a stream cut off before its end', async () => {
    server = await c.start([{ text: ['partial'], truncate: true }]);
    const error = await rejection(collect(c.provider(server.url).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/stream ended before/);
  });

  it('rejects with an AbortError within 1 s when aborted mid-stream, and the server lives on', async () => {
    const fake = await c.start([{ text: ['first', 'never sent'], delayMs: 10_000 }, { text: ['again'] }]);
    server = fake;
    const controller = new AbortController();
    const seen: string[] = [];
    const consuming = (async () => {
      for await (const event of c.provider(fake.url).stream(request({ signal: controller.signal }))) {
        if (event.type === 'text') {
          seen.push(event.text);
          controller.abort();
        }
      }
    })();

    const started = Date.now();
    const error = await rejection(consuming);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen).toEqual(['first']);
    expect((error as Error).name).toBe('AbortError');

    const { texts } = await collect(c.provider(fake.url).stream(request()));
    expect(texts).toEqual(['again']);
  });

  it('lets a consumer stop reading early, and the server lives on', async () => {
    server = await c.start([{ text: ['one', 'two', 'three'], delayMs: 10_000 }, { text: ['again'] }]);
    const seen: string[] = [];
    const started = Date.now();
    for await (const event of c.provider(server.url).stream(request())) {
      if (event.type === 'text') seen.push(event.text);
      break;
    }
    expect(seen).toEqual(['one']);
    expect(Date.now() - started).toBeLessThan(1000);

    const { texts } = await collect(c.provider(server.url).stream(request()));
    expect(texts).toEqual(['again']);
  });

  it('rejects at once when the signal is already aborted', async () => {
    server = await c.start([{ text: ['unused'] }]);
    const reason = new Error('run cancelled');
    const error = await rejection(collect(c.provider(server.url).stream(request({ signal: AbortSignal.abort(reason) }))));

    expect(error).toBe(reason);
  });

  it('gives up on a stream that goes silent for longer than the idle timeout', async () => {
    server = await c.start([{ text: ['a', 'b'], delayMs: 5_000 }]);
    const started = Date.now();
    const error = await rejection(collect(c.provider(server.url, { idleTimeoutMs: 200 }).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toBe(`The ${c.label} sent nothing for 0.2 s; the call was abandoned.`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says which endpoint it could not reach', async () => {
    const port = await closedPort();
    const baseUrl = `http://127.0.0.1:${port}${c.kind === 'anthropic' ? '' : '/v1'}`;
    const error = await rejection(collect(c.provider(baseUrl).stream(request())));

    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Could not reach the ${c.label} at http://127.0.0.1:${port}.*ECONNREFUSED`),
    );
  });
});

/** A port nothing listens on: bound, noted, released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
