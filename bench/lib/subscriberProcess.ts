// Child-process entry (run with `node --import tsx`): opens graphql-ws subscribers against the
// service under test and records, per subscriber and per event, receive time − send time. Kept
// out of the service's process so that the clients' own work (framing, JSON parsing) does not
// compete with the service's event loop, as it would not for real remote subscribers.
//
// IPC protocol (advanced serialization), parent → child:
//   start {url, sessionId, sinceId, query, subscribers, firstIndex, capacity, client}
//   ping {t}                 → pong {t, now}           (clock offset estimate)
//   mark                     → marked                  (start of the measured window)
//   status                   → status {received, …}
//   collect                  → collected {…raw results}
//   close                    → closed, then exit
// child → parent unprompted: connected {count}, warmed {count}, fatal {message}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { wireSubscriber } from './wireSubscriber.js';

export interface StartMessage {
  type: 'start';
  url: string;
  sessionId: string;
  sinceId: number;
  query: string;
  subscribers: number;
  /** Index of this process's first subscriber in the whole set (for reporting). */
  firstIndex: number;
  /** Sequence numbers run from 0 to capacity - 1. */
  capacity: number;
  /** Which client library speaks graphql-transport-ws (see leanClient). */
  client: ClientKind;
}

/**
 * `graphql-ws`: the library's own client (what most applications use; ~20 µs of CPU per message
 * here, so 100 of them at 1,000 events/s need two cores by themselves). `lean`: the protocol
 * spoken directly over `ws` (connection_init/ack, subscribe, next/error/complete, ping/pong), every
 * message still received as its own WebSocket message and JSON-parsed in full; it exists so that
 * on a small machine the load generator does not starve the service it measures. `wire`: the
 * protocol and RFC 6455 written out over TCP, each event message read for its seq and time only
 * (wireSubscriber.ts); ~2.5× cheaper again than `lean` (0.3 against 0.8 of a core at 100 ×
 * 1,000 messages/s).
 */
export type ClientKind = 'graphql-ws' | 'lean' | 'wire';

export type ParentMessage =
  | StartMessage
  | { type: 'ping'; t: number }
  | { type: 'mark' }
  | { type: 'status' }
  | { type: 'collect' }
  | { type: 'close' };

export interface SubscriberResult {
  index: number;
  /** receive − send (ms, both on this process's clock as the payload carries it); NaN = never received. */
  latency: Float64Array;
  duplicates: number;
  outOfOrder: number;
  /** Events outside the expected sequence range (other than the warm-up). */
  unexpected: number;
  errors: string[];
  completed: boolean;
  closedCode: number | null;
}

export interface CollectedMessage {
  type: 'collected';
  subscribers: SubscriberResult[];
  cpu: { userMs: number; systemMs: number };
  eventLoopDelay: { p50: number; p99: number; max: number; mean: number };
  wallMs: number;
}

export type ChildMessage =
  | { type: 'connected'; count: number }
  | { type: 'warmed'; count: number }
  | { type: 'pong'; t: number; now: number }
  | { type: 'marked' }
  | { type: 'status'; received: number; warmups: number; warmed: number; errors: number; completed: number }
  | CollectedMessage
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

interface EventPayload {
  seq?: number;
  sentAt?: number;
  warmup?: boolean;
}

interface Item {
  data?: { sessionEvents?: { id?: number; payload?: EventPayload } } | null;
  errors?: ReadonlyArray<{ message: string }>;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

class Subscriber {
  readonly latency: Float64Array;
  duplicates = 0;
  outOfOrder = 0;
  unexpected = 0;
  received = 0;
  /** Warm-up events received (the first one, and the warm-up phase's). */
  warmups = 0;
  warmed = false;
  completed = false;
  closedCode: number | null = null;
  readonly errors: string[] = [];
  private lastSeq = -1;

  constructor(
    readonly index: number,
    capacity: number,
  ) {
    this.latency = new Float64Array(capacity).fill(NaN);
  }

  onItem(item: Item, at: number, onWarm: () => void): void {
    if (item.errors?.length) {
      this.errors.push(...item.errors.map((error) => error.message));
      return;
    }
    const payload = item.data?.sessionEvents?.payload;
    if (!payload) {
      this.unexpected++;
      return;
    }
    if (payload.warmup) {
      this.warmups++;
      if (!this.warmed) {
        this.warmed = true;
        onWarm();
      }
      return;
    }
    const { seq, sentAt } = payload;
    if (typeof seq !== 'number' || typeof sentAt !== 'number') {
      this.unexpected++;
      return;
    }
    this.onEvent(seq, sentAt, at);
  }

  onEvent(seq: number, sentAt: number, at: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.latency.length) {
      this.unexpected++;
      return;
    }
    if (!Number.isNaN(this.latency[seq] as number)) {
      this.duplicates++;
      return;
    }
    if (seq < this.lastSeq) this.outOfOrder++;
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.latency[seq] = at - sentAt;
    this.received++;
  }

  result(): SubscriberResult {
    return {
      index: this.index,
      latency: this.latency,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      unexpected: this.unexpected,
      errors: this.errors.slice(0, 20),
      completed: this.completed,
      closedCode: this.closedCode,
    };
  }
}

/** What the process needs of a client: a way to close it. */
interface Closable {
  dispose(): Promise<void> | void;
}

const clients: Closable[] = [];
const subscribers: Subscriber[] = [];
let warmedCount = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let markedAt = 0;
let cpuAtMark = process.cpuUsage();

function start(message: StartMessage): void {
  let connected = 0;
  const onConnected = (): void => {
    if (++connected === message.subscribers) send({ type: 'connected', count: connected });
  };
  const onWarm = (): void => {
    if (++warmedCount === message.subscribers) send({ type: 'warmed', count: warmedCount });
  };
  const variables = { sessionId: message.sessionId, sinceId: message.sinceId };
  for (let i = 0; i < message.subscribers; i++) {
    const subscriber = new Subscriber(message.firstIndex + i, message.capacity);
    subscribers.push(subscriber);
    clients.push(
      message.client === 'wire'
        ? wireClient(message.url, message.query, variables, subscriber, onConnected, onWarm)
        : message.client === 'lean'
          ? leanClient(message.url, message.query, variables, subscriber, onConnected, onWarm)
          : graphqlWsClient(message.url, message.query, variables, subscriber, onConnected, onWarm),
    );
  }
}

function graphqlWsClient(url: string, query: string, variables: Record<string, unknown>, subscriber: Subscriber, onConnected: () => void, onWarm: () => void): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    on: {
      connected: onConnected,
      closed: (event) => {
        subscriber.closedCode = (event as { code?: number } | undefined)?.code ?? null;
      },
    },
  });
  client.subscribe<Item['data'] & object>(
    { query, variables },
    {
      next: (item) => subscriber.onItem(item as Item, now(), onWarm),
      error: (error) => {
        subscriber.errors.push(describe(error));
      },
      complete: () => {
        subscriber.completed = true;
      },
    },
  );
  return client;
}

interface ServerMessage {
  type?: string;
  id?: string;
  payload?: unknown;
}

/** A server message after the handshake (connection_ack and ping are the client's own business). */
function onSubscriptionMessage(message: ServerMessage, subscriber: Subscriber, at: number, onWarm: () => void): void {
  switch (message.type) {
    case 'next':
      if (message.id === '1') subscriber.onItem(message.payload as Item, at, onWarm);
      else subscriber.unexpected++;
      return;
    case 'error':
      subscriber.errors.push(describe(message.payload));
      return;
    case 'complete':
      subscriber.completed = true;
      return;
    case 'pong':
      return;
    default:
      subscriber.unexpected++;
  }
}

/** graphql-transport-ws spoken directly over `ws`: one subscription (id "1") per socket. */
function leanClient(url: string, query: string, variables: Record<string, unknown>, subscriber: Subscriber, onConnected: () => void, onWarm: () => void): Closable {
  const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    const at = now();
    let message: ServerMessage;
    try {
      message = JSON.parse(isBinary ? '' : data.toString('utf8')) as ServerMessage;
    } catch {
      subscriber.errors.push('a message that is not JSON');
      return;
    }
    if (message.type === 'connection_ack') {
      onConnected();
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    } else {
      onSubscriptionMessage(message, subscriber, at, onWarm);
    }
  });
  socket.on('error', (error) => subscriber.errors.push(error.message));
  socket.on('close', (code) => {
    subscriber.closedCode = code;
  });
  return {
    dispose: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(1000, 'Normal Closure');
      }),
  };
}

function wireClient(url: string, query: string, variables: Record<string, unknown>, subscriber: Subscriber, onConnected: () => void, onWarm: () => void): Closable {
  return wireSubscriber(
    url,
    { query, variables },
    {
      onConnected,
      onEvent: (seq, sentAt, at) => subscriber.onEvent(seq, sentAt, at),
      onMessage: (message, at) => onSubscriptionMessage(message, subscriber, at, onWarm),
      onError: (message) => subscriber.errors.push(message),
      onClose: (code) => {
        subscriber.closedCode = code;
      },
    },
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  if (Array.isArray(error)) return error.map(describe).join('; ');
  if (error && typeof error === 'object' && 'code' in error) {
    const closeEvent = error as { code: number; reason?: string };
    return `socket closed ${closeEvent.code} ${closeEvent.reason ?? ''}`.trim();
  }
  return String(error);
}

async function close(): Promise<void> {
  await Promise.allSettled(clients.map((client) => client.dispose()));
  send({ type: 'closed' });
  // Let the IPC message go out, then leave.
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (raw: ParentMessage) => {
  try {
    switch (raw.type) {
      case 'start':
        start(raw);
        break;
      case 'ping':
        send({ type: 'pong', t: raw.t, now: now() });
        break;
      case 'mark':
        markedAt = performance.now();
        cpuAtMark = process.cpuUsage();
        loopDelay.reset();
        loopDelay.enable();
        send({ type: 'marked' });
        break;
      case 'status':
        send({
          type: 'status',
          received: subscribers.reduce((sum, s) => sum + s.received, 0),
          warmups: subscribers.reduce((sum, s) => sum + s.warmups, 0),
          warmed: warmedCount,
          errors: subscribers.reduce((sum, s) => sum + s.errors.length, 0),
          completed: subscribers.filter((s) => s.completed).length,
        });
        break;
      case 'collect': {
        loopDelay.disable();
        const cpu = process.cpuUsage(cpuAtMark);
        send({
          type: 'collected',
          subscribers: subscribers.map((s) => s.result()),
          cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
          eventLoopDelay: {
            p50: loopDelay.percentile(50) / 1e6,
            p99: loopDelay.percentile(99) / 1e6,
            max: loopDelay.max / 1e6,
            mean: loopDelay.mean / 1e6,
          },
          wallMs: performance.now() - markedAt,
        });
        break;
      }
      case 'close':
        void close();
        break;
    }
  } catch (error) {
    send({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});

// The parent going away (crash, kill) must not leave this process behind.
process.on('disconnect', () => process.exit(0));
