// A graphql-transport-ws subscriber spoken straight over TCP: the RFC 6455 handshake and framing
// written out by hand, so that 100 of them in one process cost a fraction of a core.
//
// Why it exists: on a 2-vCPU machine the subscribers share the CPUs with the service they
// measure. Through `ws` and a JSON.parse per message, 100 subscribers at 1,000 events/s took as
// much CPU as the service itself (~7.7 µs per message, 0.76 of a core) and their own queueing was
// most of the tail the measure reported. Remote subscribers would pay that on their own machines.
//
// What it still checks: the handshake (status 101, Sec-WebSocket-Accept, the subprotocol), every
// frame's header (unmasked, known opcode, FIN), and every message's start up to the event's id.
// An event message is then read for its `seq` and `sentAt` only; every 64th is also parsed in
// full and compared, and anything that is not a plain event (the warm-up, errors, complete,
// ping) is parsed in full and handled as the library-style clients handle it.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const FULL_CHECK_EVERY = 64;
const READ_BUFFER = 256 * 1024;

export interface WireHandlers {
  /** Called once the server acknowledged connection_init (the subscription is sent then). */
  onConnected(): void;
  /** A `next` of subscription "1" read on the fast path. */
  onEvent(seq: number, sentAt: number, at: number): void;
  /** Any other message, parsed in full. */
  onMessage(message: { type?: string; id?: string; payload?: unknown }, at: number): void;
  onError(message: string): void;
  onClose(code: number | null): void;
}

export interface WireSubscriber {
  dispose(): Promise<void>;
}

/** A fast-path event message starts with exactly this (graphql-ws's key order, ours in the frame). */
const EVENT_PREFIX = Buffer.from('{"id":"1","type":"next","payload":{"data":{"sessionEvents":{"id":');
/** How a bench event message ends: the event's payload (keys sorted, as the service writes them), then the four objects around it. */
const SENT_AT_OPEN = Buffer.from('{"sentAt":');
const SEQ_KEY = Buffer.from(',"seq":');
const CLOSING = Buffer.from('}}}}}');

export function wireSubscriber(url: string, subscribe: { query: string; variables: Record<string, unknown> }, handlers: WireHandlers): WireSubscriber {
  const target = new URL(url);
  const key = randomBytes(16).toString('base64');
  // `onread` hands reads to us in one reused buffer, skipping the stream machinery per read.
  const socket = net.connect({
    host: target.hostname,
    port: Number(target.port),
    onread: {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      callback: (length: number, buffer: Uint8Array) => {
        onData(Buffer.from(buffer.buffer, buffer.byteOffset, length));
        return true;
      },
    },
  });
  socket.setNoDelay(true);
  let upgraded = false;
  let closed = false;
  let failed = false;
  let head = '';
  let rest: Buffer | null = null;
  let fragments: Buffer[] | null = null;
  let messages = 0;
  let closeCode: number | null = null;
  let onClosed: (() => void) | null = null;

  const fail = (message: string): void => {
    failed = true;
    handlers.onError(message);
    socket.destroy();
  };

  socket.on('connect', () => {
    socket.write(
      `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
  });

  const onData = (chunk: Buffer): void => {
    // One clock reading per read from the socket: every message in it arrived then.
    const at = performance.timeOrigin + performance.now();
    if (!upgraded) {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const problem = handshakeProblem(head.slice(0, end), key);
      if (problem) return fail(problem);
      upgraded = true;
      const after = Buffer.from(head.slice(end + 4), 'latin1');
      head = '';
      send(OP_TEXT, JSON.stringify({ type: 'connection_init', payload: {} }));
      if (after.length === 0) return;
      chunk = after;
    }
    const data = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let offset = 0;
    while (data.length - offset >= 2) {
      const b0 = data[offset] as number;
      const b1 = data[offset + 1] as number;
      if (b1 & 0x80) return fail('the server sent a masked frame');
      if (b0 & 0x70) return fail('a frame with reserved bits set (no extension was negotiated)');
      let length = b1 & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        if (data.length - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        start = offset + 4;
      } else if (length === 127) {
        if (data.length - offset < 10) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        start = offset + 10;
      }
      if (data.length < start + length) break;
      frame(b0 & 0x80 ? true : false, b0 & 0x0f, data, start, start + length, at);
      if (closed || failed) return;
      offset = start + length;
    }
    // A copy: `onread` reuses its buffer for the next read.
    if (offset < data.length) rest = Buffer.from(data.subarray(offset));
  };

  const frame = (fin: boolean, opcode: number, data: Buffer, start: number, end: number, at: number): void => {
    switch (opcode) {
      case OP_TEXT:
      case OP_CONTINUATION: {
        if (opcode === OP_TEXT && fragments) return fail('a text frame inside a fragmented message');
        if (opcode === OP_CONTINUATION && !fragments) return fail('a continuation frame with no message to continue');
        if (!fin || fragments) {
          (fragments ??= []).push(Buffer.from(data.subarray(start, end)));
          if (!fin) return;
          const whole = Buffer.concat(fragments);
          fragments = null;
          text(whole, 0, whole.length, at);
          return;
        }
        text(data, start, end, at);
        return;
      }
      case OP_PING:
        send(OP_PONG, data.subarray(start, end));
        return;
      case OP_PONG:
        return;
      case OP_CLOSE:
        closeCode = end - start >= 2 ? data.readUInt16BE(start) : 1005;
        if (!closed) send(OP_CLOSE, data.subarray(start, Math.min(end, start + 2)));
        closed = true;
        socket.end();
        return;
      default:
        fail(`a frame with opcode ${opcode}`);
    }
  };

  const text = (data: Buffer, start: number, end: number, at: number): void => {
    // Bytes, not strings: making and scanning strings was most of this client's CPU.
    if (startsWith(data, start, end, EVENT_PREFIX)) {
      const numbers = tailNumbers(data, start + EVENT_PREFIX.length, end);
      if (numbers) {
        const [seq, sentAt] = numbers;
        if (++messages % FULL_CHECK_EVERY === 0) {
          const problem = fullCheck(data.toString('utf8', start, end), seq, sentAt);
          if (problem) handlers.onError(problem);
        }
        handlers.onEvent(seq, sentAt, at);
        return;
      }
    }
    const message = data.toString('utf8', start, end);
    let parsed: { type?: string; id?: string; payload?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      handlers.onError('a message that is not JSON');
      return;
    }
    if (parsed.type === 'connection_ack') {
      handlers.onConnected();
      send(OP_TEXT, JSON.stringify({ id: '1', type: 'subscribe', payload: subscribe }));
      return;
    }
    if (parsed.type === 'ping') {
      send(OP_TEXT, JSON.stringify({ type: 'pong' }));
      return;
    }
    handlers.onMessage(parsed, at);
  };

  /** A client's frame: masked, as RFC 6455 requires of clients. */
  const send = (opcode: number, payload: string | Buffer): void => {
    if (socket.destroyed) return;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const extended = body.length < 126 ? 0 : body.length < 0x10000 ? 2 : 8;
    const out = Buffer.allocUnsafe(2 + extended + 4 + body.length);
    out[0] = 0x80 | opcode;
    if (extended === 0) out[1] = 0x80 | body.length;
    else if (extended === 2) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(body.length, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeBigUInt64BE(BigInt(body.length), 2);
    }
    const mask = randomBytes(4);
    mask.copy(out, 2 + extended);
    const at = 2 + extended + 4;
    for (let i = 0; i < body.length; i++) out[at + i] = (body[i] as number) ^ (mask[i & 3] as number);
    socket.write(out);
  };

  socket.on('error', (error) => {
    failed = true;
    handlers.onError(error.message);
  });
  socket.on('close', () => {
    if (!upgraded && !failed) handlers.onError('the connection closed before the upgrade');
    closed = true;
    handlers.onClose(closeCode);
    onClosed?.();
  });

  return {
    dispose: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        onClosed = resolve;
        if (!upgraded) {
          socket.destroy();
          return;
        }
        const code = Buffer.allocUnsafe(2);
        code.writeUInt16BE(1000);
        send(OP_CLOSE, code);
        closed = true;
        // The server answers with its close frame and ends the connection; do not wait forever.
        setTimeout(() => socket.destroy(), 2000).unref();
      }),
  };
}

function handshakeProblem(head: string, key: string): string | null {
  const [status, ...lines] = head.split('\r\n');
  if (!/^HTTP\/1\.1 101 /.test(status ?? '')) return `the upgrade was refused: ${status}`;
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  if (headers.get('sec-websocket-accept') !== accept) return 'a wrong Sec-WebSocket-Accept';
  if (headers.get('sec-websocket-protocol') !== 'graphql-transport-ws') return `subprotocol ${headers.get('sec-websocket-protocol')}`;
  if (headers.has('sec-websocket-extensions')) return 'an extension this client did not offer';
  return null;
}

function startsWith(data: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[start + i] !== prefix[i]) return false;
  return true;
}

/** Whether data[at - bytes.length, at) is `bytes`. */
function endsAt(data: Buffer, from: number, at: number, bytes: Buffer): boolean {
  if (at - from < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[at - bytes.length + i] !== bytes[i]) return false;
  return true;
}

/**
 * seq and sentAt of a message ending `{"sentAt":T,"seq":S}}}}}`, read backwards from its end;
 * null for any other shape (the caller then parses it in full).
 */
function tailNumbers(data: Buffer, from: number, end: number): [number, number] | null {
  if (!endsAt(data, from, end, CLOSING)) return null;
  const seqEnd = end - CLOSING.length;
  let i = seqEnd;
  while (i > from && isNumberChar(data[i - 1] as number)) i--;
  const seq = decimal(data, i, seqEnd);
  if (seq === null || !endsAt(data, from, i, SEQ_KEY)) return null;
  const sentAtEnd = i - SEQ_KEY.length;
  i = sentAtEnd;
  while (i > from && isNumberChar(data[i - 1] as number)) i--;
  const sentAt = decimal(data, i, sentAtEnd);
  if (sentAt === null || !endsAt(data, from, i, SENT_AT_OPEN)) return null;
  return [seq, sentAt];
}

/** A plain decimal (digits, optionally a point and digits); null for anything else (signs, exponents). */
function decimal(data: Buffer, start: number, end: number): number | null {
  let whole = 0;
  let fraction = 0;
  let scale = 1;
  let point = false;
  if (start === end) return null;
  for (let i = start; i < end; i++) {
    const code = data[i] as number;
    if (code === 46 && !point) point = true;
    else if (code < 48 || code > 57) return null;
    else if (point) {
      fraction = fraction * 10 + (code - 48);
      scale *= 10;
    } else whole = whole * 10 + (code - 48);
  }
  return whole + fraction / scale;
}

/** 0-9 . - + e E */
function isNumberChar(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46 || code === 45 || code === 43 || code === 101 || code === 69;
}

function fullCheck(message: string, seq: number, sentAt: number): string | null {
  try {
    const parsed = JSON.parse(message) as { payload?: { data?: { sessionEvents?: { payload?: { seq?: unknown; sentAt?: unknown } } } } };
    const payload = parsed.payload?.data?.sessionEvents?.payload;
    // Summing the digits may differ from JSON.parse in the last bit of a fraction.
    if (payload?.seq !== seq || typeof payload.sentAt !== 'number' || Math.abs(payload.sentAt - sentAt) > 1e-6) return `fast path read seq ${seq} sentAt ${sentAt}, the message says ${JSON.stringify(payload)}`;
    return null;
  } catch {
    return 'an event message that is not JSON';
  }
}
