// Timestamps inside the service process, taken by wrapping library and service methods at run
// time (nothing in src/ changes): where an event's time goes between append and the socket.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { AsyncQueue } from '../../src/asyncQueue.js';
import { EventRepository } from '../../src/events/repository.js';
import { Outbox } from '../../src/server/ws/outbox.js';
import { hookPgQueries } from './pgQueryHook.js';
import { clock, rounded, summarize, type Summary } from './stats.js';

/** First and last time something happened to one event id (across subscribers). */
export interface Span {
  first: number;
  last: number;
  count: number;
}

export interface ProbeOptions {
  /** Also time each frame handed to a subscriber's socket (a regex per frame: costs some CPU). */
  wsSend: boolean;
}

export interface Probes {
  /** Per event id: when the live reader's query returned it (first time). */
  readDone: Map<number, number>;
  /** Per event id: AsyncQueue pushes (one per subscriber). */
  pushed: Map<number, Span>;
  /** Per event id: its frames handed to sockets (one per subscriber); empty unless wsSend. */
  wsSent: Map<number, Span>;
  /** Reads of events (live fan-out and catch-up): duration and rows. */
  reads: Array<{ start: number; ms: number; rows: number }>;
  /** Every SQL statement through `pg`, by a short label: durations (ms). */
  queries: Map<string, number[]>;
  /** Waits for a pool connection (ms). */
  poolWaits: number[];
  stop(): ProbeReport;
}

export interface ProbeReport {
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number };
  cpu: { userMs: number; systemMs: number; wallMs: number; utilisation: number };
  queries: Array<{ label: string } & Summary>;
  poolWait: Summary;
  reads: { count: number; rowsPerRead: Summary; ms: Summary };
}

type QueryFn = (...args: unknown[]) => unknown;

function labelOf(query: unknown): string {
  const text = typeof query === 'string' ? query : ((query as { text?: string } | null)?.text ?? '?');
  const flat = text.replace(/\s+/g, ' ').trim();
  if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(flat)) return flat.split(' ')[0]!.toUpperCase();
  if (flat.includes('FOR NO KEY UPDATE') && /INSERT INTO "?events"?/i.test(flat)) return 'append in one statement (lock + insert + notify)';
  if (flat.includes('FOR NO KEY UPDATE')) return 'lock session row (SELECT … FOR NO KEY UPDATE)';
  if (/INSERT INTO "?events"?/i.test(flat)) return 'insert event';
  if (flat.includes('pg_notify')) return 'pg_notify';
  if (/FROM "public"\."events"/.test(flat) && /ORDER BY "public"\."events"\."id" ASC/.test(flat)) return 'read events after cursor (findMany)';
  return flat.slice(0, 80);
}

function bump(map: Map<number, Span>, id: number, at: number): void {
  const span = map.get(id);
  if (span) {
    span.last = at;
    span.count++;
  } else {
    map.set(id, { first: at, last: at, count: 1 });
  }
}

export function installProbes(options: ProbeOptions): Probes {
  const restores: Array<() => void> = [];
  const readDone = new Map<number, number>();
  const pushed = new Map<number, Span>();
  const wsSent = new Map<number, Span>();
  const reads: Probes['reads'] = [];
  const queries = new Map<string, number[]>();
  const poolWaits: number[] = [];

  // SQL round trips, as the pg driver sees them.
  restores.push(
    hookPgQueries((args) => {
      const started = performance.now();
      const label = labelOf(args[0]);
      return () => {
        let list = queries.get(label);
        if (!list) queries.set(label, (list = []));
        list.push(performance.now() - started);
      };
    }),
  );

  const poolProto = pg.Pool.prototype as unknown as { connect: QueryFn };
  const originalConnect = poolProto.connect;
  poolProto.connect = function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const result = originalConnect.apply(this, args);
    if (args.length === 0 && result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => poolWaits.push(performance.now() - started),
        () => undefined,
      );
    }
    return result;
  };
  restores.push(() => {
    poolProto.connect = originalConnect;
  });

  // The live reader's table reads (LiveEvents reads through EventRepository#readAfter).
  const repoProto = EventRepository.prototype;
  const originalRead = repoProto.readAfter;
  repoProto.readAfter = async function (this: EventRepository, sessionId: string, afterId: number, count: number) {
    const started = performance.now();
    const rows = await originalRead.call(this, sessionId, afterId, count);
    const at = clock();
    reads.push({ start: started, ms: performance.now() - started, rows: rows.length });
    for (const row of rows) {
      const id = Number(row.id);
      if (!readDone.has(id)) readDone.set(id, at);
    }
    return rows;
  };
  restores.push(() => {
    repoProto.readAfter = originalRead;
  });

  // Fan-out: each subscriber's queue gets the event.
  const queueProto = AsyncQueue.prototype as unknown as { push: (item: unknown) => void };
  const originalPush = queueProto.push;
  queueProto.push = function (this: unknown, item: unknown) {
    const event = (item as { kind?: string; event?: { id: bigint } }).kind === 'event' ? (item as { event: { id: bigint } }).event : null;
    if (event) bump(pushed, Number(event.id), clock());
    originalPush.call(this, item);
  };
  restores.push(() => {
    queueProto.push = originalPush;
  });

  // The frame handed to the subscriber's socket (the outbox writes a tick's frames at its end).
  if (options.wsSend) {
    const outboxProto = Outbox.prototype as unknown as { write: (frame: string) => void };
    const originalWrite = outboxProto.write;
    const pattern = /"sessionEvents":\{"id":(\d+)/;
    outboxProto.write = function (this: unknown, frame: string) {
      const match = pattern.exec(frame);
      if (match) bump(wsSent, Number(match[1]), clock());
      return originalWrite.call(this, frame);
    };
    restores.push(() => {
      outboxProto.write = originalWrite;
    });
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let report: ProbeReport | undefined;

  return {
    readDone,
    pushed,
    wsSent,
    reads,
    queries,
    poolWaits,
    stop: () => {
      if (report) return report;
      loopDelay.disable();
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = performance.now() - wallStart;
      for (const restore of restores.reverse()) restore();
      report = {
        eventLoopDelayMs: rounded({
          mean: loopDelay.mean / 1e6,
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        }),
        cpu: rounded({ userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs, utilisation: (cpu.user + cpu.system) / 1000 / wallMs }),
        queries: [...queries.entries()]
          .map(([label, values]) => ({ label, ...rounded(summarize(values)) }))
          .sort((a, b) => b.count * b.mean - a.count * a.mean),
        poolWait: rounded(summarize(poolWaits)),
        reads: {
          count: reads.length,
          rowsPerRead: rounded(summarize(reads.map((r) => r.rows))),
          ms: rounded(summarize(reads.map((r) => r.ms))),
        },
      };
      return report;
    },
  };
}
