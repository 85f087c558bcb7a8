import pg from 'pg';
import type { Database, Tx } from './client.js';
import type { Logger } from '../logger.js';
import type { Signal, Signals } from '../signals.js';

const CHANNEL = 'anton_signals';

/** NOTIFY payloads must stay under 8000 bytes; long reply text travels in several signals. */
const MAX_TEXT_CHARS = 1000;

function splitForNotify(signal: Signal): Signal[] {
  if (signal.kind !== 'reply' || signal.text.length <= MAX_TEXT_CHARS) return [signal];
  const parts: Signal[] = [];
  // Code points, not UTF-16 units, so that no part ends in half a surrogate pair.
  const chars = [...signal.text];
  for (let start = 0; start < chars.length; start += MAX_TEXT_CHARS) {
    parts.push({ ...signal, text: chars.slice(start, start + MAX_TEXT_CHARS).join('') });
  }
  return parts;
}

/**
 * Signals over PostgreSQL LISTEN/NOTIFY, so every service process on the database hears
 * them. NOTIFY inside a transaction is delivered on commit, which is exactly when the change it
 * announces becomes visible. One dedicated connection listens and reconnects after failures;
 * after a reconnect a `resync` tells subscribers to look at the database again.
 */
export class PgSignals implements Signals {
  readonly channel = CHANNEL;
  private readonly listeners = new Set<(signal: Signal) => void>();
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  async publish(signal: Signal, tx?: Tx): Promise<void> {
    for (const part of splitForNotify(signal)) {
      const payload = JSON.stringify(part);
      await (tx ?? this.db).$executeRaw`SELECT pg_notify(${CHANNEL}, ${payload})`;
    }
  }

  subscribe(listener: (signal: Signal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(signal: Signal): void {
    for (const listener of this.listeners) {
      try {
        listener(signal);
      } catch (error) {
        this.log.error('run signal listener failed', { error });
      }
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        this.emit(JSON.parse(message.payload) as Signal);
      } catch (error) {
        this.log.warn('ignored a malformed run signal', { error });
      }
    });
    client.on('error', (error) => {
      this.log.warn('run signal connection lost', { error });
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(failed: pg.Client): void {
    if (this.closed || this.client !== failed || this.reconnectTimer) return;
    this.client = null;
    void failed.end().catch(() => undefined);
    const attempt = (): void => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.connect()
        .then(() => this.emit({ kind: 'resync' }))
        .catch(() => {
          this.reconnectTimer = setTimeout(attempt, 1000);
          this.reconnectTimer.unref();
        });
    };
    this.reconnectTimer = setTimeout(attempt, 200);
    this.reconnectTimer.unref();
  }
}
