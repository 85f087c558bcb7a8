// The WebSocket outbox frames `next` messages itself (src/server/ws/outbox.ts) and a direct
// subscription drains its live queue in batches (directSubscription.ts). Checked here over real
// sockets, with `ws` as the receiving client: every frame arrives as its own message with its
// exact text whatever its length or characters, a tick's frames leave in one socket write, a
// subscription's end follows its frames, and back-pressure still holds a writer.
import http from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { AsyncQueue } from '../../../src/asyncQueue.js';
import { DirectSubscription } from '../../../src/server/ws/directSubscription.js';
import { Outbox } from '../../../src/server/ws/outbox.js';
import { until } from './liveKit.js';

interface Pair {
  /** The server side of the connection, and the TCP socket `ws` writes to. */
  server: WebSocket;
  raw: Socket;
  /** Every message the client received, as text, in order. */
  received: string[];
  client: WebSocket;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function connectedPair(options: { deflate?: boolean } = {}): Promise<Pair> {
  const httpServer = http.createServer();
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: options.deflate ?? false });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
  const accepted = new Promise<{ server: WebSocket; raw: Socket }>((resolve) => wss.once('connection', (server, request) => resolve({ server, raw: request.socket })));
  const { port } = httpServer.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: options.deflate ?? false });
  const received: string[] = [];
  client.on('message', (data, isBinary) => received.push(isBinary ? '<binary>' : String(data)));
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  return { ...(await accepted), received, client };
}

/** The size of every write to the TCP socket from now on. */
function spyWrites(raw: Socket): number[] {
  const writes: number[] = [];
  const write = raw.write.bind(raw) as (chunk: Buffer) => boolean;
  raw.write = ((chunk: Buffer) => {
    writes.push(chunk.length);
    return write(chunk);
  }) as typeof raw.write;
  return writes;
}

/** Text of `length` UTF-16 units mixing 1-, 2-, 3- and 4-byte UTF-8 characters. */
function mixedText(length: number, seed: number): string {
  const pieces = ['a', 'é', '€', '😀', '"', '\\', '\n'];
  let text = '';
  for (let i = 0; text.length < length; i++) text += pieces[(i + seed) % pieces.length];
  return text.slice(0, length).replace(/[\uD800-\uDBFF]$/, 'x');
}

test('frames of every length class arrive whole, in order, each as its own message', async () => {
  const pair = await connectedPair();
  const outbox = new Outbox(pair.server, pair.raw);
  // 125/126 and 65535/65536 are where the header's length field changes size (RFC 6455 §5.2);
  // mixed characters make bytes and UTF-16 units differ, so a length in the wrong unit shows.
  const frames = [0, 1, 124, 125, 126, 127, 200, 65_535, 65_536, 70_000, 300_000].flatMap((length, i) => [mixedText(length, i), 'a'.repeat(length)]);
  frames.push(Buffer.from([0xe2, 0x82, 0xac]).toString('utf8').repeat(42)); // 126 bytes, 42 units
  for (const frame of frames) outbox.write(frame);
  await until(() => pair.received.length >= frames.length, 'every frame');
  expect(pair.received).toEqual(frames);
});

test('the frames written in one tick leave in one socket write; the next tick writes again', async () => {
  const pair = await connectedPair();
  const outbox = new Outbox(pair.server, pair.raw);
  const writes = spyWrites(pair.raw);
  for (let i = 0; i < 10; i++) outbox.write(`{"n":${i}}`);
  expect(writes).toEqual([]);
  await until(() => pair.received.length === 10, 'the first ten');
  expect(writes).toHaveLength(1);
  outbox.write('{"n":10}');
  await until(() => pair.received.length === 11, 'the eleventh');
  expect(writes).toHaveLength(2);
  expect(pair.received).toEqual(Array.from({ length: 11 }, (_, i) => `{"n":${i}}`));
});

test('with permessage-deflate negotiated the frames go through ws (compressed) and still arrive in order', async () => {
  const pair = await connectedPair({ deflate: true });
  expect(pair.server.extensions).toContain('permessage-deflate');
  const outbox = new Outbox(pair.server, pair.raw);
  const frames = Array.from({ length: 50 }, (_, i) => `${'x'.repeat(i * 40)}${i}`);
  for (const frame of frames) outbox.write(frame);
  await until(() => pair.received.length === frames.length, 'every frame');
  expect(pair.received).toEqual(frames);
});

test('a subscription that ends has its frames out before its end is announced', async () => {
  const pair = await connectedPair();
  const outbox = new Outbox(pair.server, pair.raw);
  const queue = new AsyncQueue<number>(1000, () => -1);
  for (let i = 0; i < 20; i++) queue.push(i);
  queue.end();
  const subscription = new DirectSubscription(queue, (item) => `{"type":"next","item":${String(item)}}`, outbox);
  // What graphql-ws does: take the (only) result, then send `complete` at once through ws.
  const result = await subscription.next();
  expect(result.done).toBe(true);
  pair.server.send('{"type":"complete"}');
  await until(() => pair.received.length === 21, 'the frames and complete');
  expect(pair.received.at(-1)).toBe('{"type":"complete"}');
  expect(pair.received.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `{"type":"next","item":${i}}`));
});

test('a subscription fed faster than its socket drains waits on back-pressure, then gets everything through', async () => {
  const pair = await connectedPair();
  // The outbox's mark is never below the socket's own (16 KiB by default).
  const mark = pair.raw.writableHighWaterMark;
  const outbox = new Outbox(pair.server, pair.raw, { highWater: 1024 });
  const writes = spyWrites(pair.raw);
  const queue = new AsyncQueue<number>(10_000, () => -1);
  const subscription = new DirectSubscription(queue, (item) => `${String(item)}:${'p'.repeat(2000)}`, outbox);
  void subscription.next();
  for (let i = 0; i < 2000; i++) queue.push(i);
  await until(() => pair.received.length === 2000, 'all 2000 frames', 20_000);
  expect(pair.received.map((text) => Number(text.slice(0, text.indexOf(':'))))).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  // The subscription stops taking items once the outbox holds the mark: no write carries more
  // than that plus the frame that crossed it (~2,010 bytes with its header).
  expect(Math.max(...writes)).toBeLessThanOrEqual(mark + 2010);
  expect(writes.length).toBeGreaterThanOrEqual(Math.ceil((2000 * 2005) / (mark + 2010)));
  await subscription.return();
});

test('a writer held by frames not yet flushed is let go by the flush, even when the socket never backs up', async () => {
  const pair = await connectedPair();
  const outbox = new Outbox(pair.server, pair.raw, { highWater: pair.raw.writableHighWaterMark });
  outbox.write('x'.repeat(pair.raw.writableHighWaterMark + 1));
  expect(outbox.ready).toBe(false);
  // The kernel takes 16 KiB at once, so the socket emits no 'drain': only the flush can wake this.
  await outbox.writable();
  expect(outbox.ready).toBe(true);
  await until(() => pair.received.length === 1, 'the frame');
  expect(pair.received[0]).toHaveLength(pair.raw.writableHighWaterMark + 1);
});

test('frames written after the socket closed are dropped without an error', async () => {
  const pair = await connectedPair();
  const outbox = new Outbox(pair.server, pair.raw);
  outbox.write('before');
  pair.server.terminate();
  outbox.write('after');
  outbox.flush();
  expect(outbox.ready).toBe(true);
  await expect(outbox.writable()).resolves.toBeUndefined();
});

test('AsyncQueue.take hands over queued items synchronously and leaves the end to next()', async () => {
  const queue = new AsyncQueue<string>(10, () => 'overflow');
  queue.push('a');
  queue.push('b');
  queue.end('last');
  expect(queue.take()).toBe('a');
  expect(queue.take()).toBe('b');
  expect(queue.take()).toBeUndefined();
  await expect(queue.next()).resolves.toEqual({ value: 'last', done: false });
  await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
});
