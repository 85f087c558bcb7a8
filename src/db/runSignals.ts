import pg from 'pg';
import type { Database, Tx } from './client.js';
import type { Logger } from '../logger.js';
import type { RunSignal, RunSignals } from '../runs/engine/signals.js';

const CHANNEL = 'anton_runs';

/**
 * Run signals over PostgreSQL LISTEN/NOTIFY, so every service process on the database hears
 * them. NOTIFY inside a transaction is delivered on commit, which is exactly when the change it
 * announces becomes visible. One dedicated connection listens and reconnects after failures;
 * after a reconnect a `resync` tells subscribers to look at the database again.
 */
export class PgRunSignals implements RunSignals {
  private readonly listeners = new Set<(signal: RunSignal) => void>();
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

  async publish(signal: RunSignal, tx?: Tx): Promise<void> {
    const payload = JSON.stringify(signal);
    await (tx ?? this.db).$executeRaw`SELECT pg_notify(${CHANNEL}, ${payload})`;
  }

  subscribe(listener: (signal: RunSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(signal: RunSignal): void {
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
        this.emit(JSON.parse(message.payload) as RunSignal);
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
