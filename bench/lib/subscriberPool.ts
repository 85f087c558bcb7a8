// Parent side of bench/lib/subscriberProcess.ts: forks the subscriber processes, talks to them
// with deadlines, estimates each one's clock offset, and always cleans them up.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clock } from './stats.js';
import type { ChildMessage, ClientKind, CollectedMessage, ParentMessage, StartMessage } from './subscriberProcess.js';

const ENTRY = fileURLToPath(new URL('./subscriberProcess.ts', import.meta.url));

export interface PoolOptions {
  url: string;
  sessionId: string;
  sinceId: number;
  query: string;
  subscribers: number;
  processes: number;
  capacity: number;
  cwd: string;
  client: ClientKind;
}

interface Child {
  process: ChildProcess;
  subscribers: number;
  /** child clock − parent clock (ms), from the ping with the shortest round trip. */
  offsetMs: number;
  rttMs: number;
  waiters: Array<{ match: (message: ChildMessage) => boolean; resolve: (message: ChildMessage) => void }>;
  seen: ChildMessage[];
  exited: boolean;
  stderr: string;
}

export class SubscriberPool {
  private constructor(private readonly children: Child[]) {}

  static async start(options: PoolOptions): Promise<SubscriberPool> {
    const count = Math.max(1, Math.min(options.processes, options.subscribers));
    const children: Child[] = [];
    const pool = new SubscriberPool(children);
    let firstIndex = 0;
    try {
      for (let i = 0; i < count; i++) {
        const share = Math.floor(options.subscribers / count) + (i < options.subscribers % count ? 1 : 0);
        const child = spawnChild(options.cwd);
        child.subscribers = share;
        children.push(child);
        const start: StartMessage = {
          type: 'start',
          url: options.url,
          sessionId: options.sessionId,
          sinceId: options.sinceId,
          query: options.query,
          subscribers: share,
          firstIndex,
          capacity: options.capacity,
          client: options.client,
        };
        firstIndex += share;
        child.process.send(start);
      }
      await Promise.all(children.map((child) => pool.expect(child, (m) => m.type === 'connected', 30_000, 'subscribers to connect')));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Waits until every subscriber has received the warm-up event. */
  async warmed(timeoutMs: number): Promise<void> {
    await Promise.all(this.children.map((child) => this.expect(child, (m) => m.type === 'warmed', timeoutMs, 'every subscriber to receive the warm-up event')));
  }

  /** Estimates each child's clock offset from the parent with `rounds` IPC pings. */
  async calibrate(rounds = 30): Promise<Array<{ offsetMs: number; rttMs: number }>> {
    for (const child of this.children) {
      let best = { rtt: Infinity, offset: 0 };
      for (let i = 0; i < rounds; i++) {
        const t = clock();
        child.process.send({ type: 'ping', t } satisfies ParentMessage);
        const pong = await this.expect(child, (m) => m.type === 'pong' && m.t === t, 5000, 'pong');
        const back = clock();
        if (pong.type !== 'pong') continue;
        const rtt = back - t;
        if (rtt < best.rtt) best = { rtt, offset: pong.now - (t + back) / 2 };
      }
      child.offsetMs = best.offset;
      child.rttMs = best.rtt;
    }
    return this.children.map((child) => ({ offsetMs: child.offsetMs, rttMs: child.rttMs }));
  }

  async mark(): Promise<void> {
    await Promise.all(this.children.map((child) => this.request(child, { type: 'mark' }, 'marked')));
  }

  async received(): Promise<{ received: number; warmups: number; errors: number; completed: number }> {
    const replies = await Promise.all(this.children.map((child) => this.request(child, { type: 'status' }, 'status')));
    const total = { received: 0, warmups: 0, errors: 0, completed: 0 };
    for (const reply of replies) {
      if (reply.type !== 'status') continue;
      total.received += reply.received;
      total.warmups += reply.warmups;
      total.errors += reply.errors;
      total.completed += reply.completed;
    }
    return total;
  }

  /** Every child's raw results, latencies corrected by its clock offset. */
  async collect(): Promise<CollectedMessage[]> {
    const replies = await Promise.all(this.children.map((child) => this.request(child, { type: 'collect' }, 'collected', 60_000)));
    return replies.map((reply, i) => {
      const collected = reply as CollectedMessage;
      const offset = this.children[i]?.offsetMs ?? 0;
      for (const subscriber of collected.subscribers) {
        for (let k = 0; k < subscriber.latency.length; k++) subscriber.latency[k] = (subscriber.latency[k] as number) - offset;
      }
      return collected;
    });
  }

  /** Disposes every client and ends every child (killing one that does not leave in time). */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exited) return;
        const exited = new Promise<void>((resolve) => {
          if (child.exited) resolve();
          else child.process.once('exit', () => resolve());
        });
        try {
          child.process.send({ type: 'close' } satisfies ParentMessage);
        } catch {
          // the channel is gone already
        }
        const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private request(child: Child, message: ParentMessage, reply: ChildMessage['type'], timeoutMs = 10_000): Promise<ChildMessage> {
    const waiting = this.expect(child, (m) => m.type === reply, timeoutMs, reply, false);
    child.process.send(message);
    return waiting;
  }

  private expect(child: Child, match: (message: ChildMessage) => boolean, timeoutMs: number, what: string, includeSeen = true): Promise<ChildMessage> {
    if (includeSeen) {
      const already = child.seen.find(match);
      if (already) return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (message: ChildMessage) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        child.waiters.splice(child.waiters.indexOf(waiter), 1);
        const tail = child.stderr.trim().split('\n').slice(-10).join('\n');
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (subscriber process ${child.process.pid})${tail ? `:\n${tail}` : ''}`));
      }, timeoutMs);
      child.waiters.push(waiter);
    });
  }
}

function spawnChild(cwd: string): Child {
  const proc = fork(ENTRY, [], {
    cwd,
    // BENCH_LIVE_CLIENT_PROFILE=1: where the subscribers' own CPU goes (written when they exit).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_LIVE_CLIENT_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(os.tmpdir(), 'bench-live-clients')}`] : [])],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const child: Child = { process: proc, subscribers: 0, offsetMs: 0, rttMs: 0, waiters: [], seen: [], exited: false, stderr: '' };
  proc.stderr?.on('data', (chunk: Buffer) => {
    child.stderr = (child.stderr + chunk.toString()).slice(-20_000);
  });
  proc.on('message', (message: ChildMessage) => {
    if (message.type === 'connected' || message.type === 'warmed' || message.type === 'fatal') child.seen.push(message);
    if (message.type === 'fatal') child.stderr += `\n${message.message}`;
    const waiter = child.waiters.find((w) => w.match(message));
    if (waiter) {
      child.waiters.splice(child.waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  proc.on('exit', () => {
    child.exited = true;
  });
  return child;
}
