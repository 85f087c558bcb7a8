// An open-loop sender: event i is due at start + i / rate, whatever happened to earlier ones
// (no setInterval drift), with at most `inFlight` operations outstanding. An event that cannot
// go at its due time (the cap is full, or the timer woke late) goes as soon as it can, and its
// lateness is recorded.

export interface PaceOptions {
  /** Events per second. */
  rate: number;
  count: number;
  inFlight: number;
  /** Stop issuing at this clock time even if not all were sent. */
  deadline: number;
  /** When event 0 is due (clock time). */
  start: number;
  clock: () => number;
  /** Sends event `index`; resolves when it is done (rejections are counted, not thrown). */
  send: (index: number) => Promise<void>;
}

export interface PaceResult {
  issued: number;
  /** Sends still outstanding 30 s after the last was issued (should be 0). */
  unsettled: number;
  failed: number;
  firstError: string | null;
  /** Per event: actual issue time − due time (ms). */
  lateness: Float64Array;
  /** Times the in-flight cap held an event back. */
  capStalls: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function pace(options: PaceOptions): Promise<PaceResult> {
  const interval = 1000 / options.rate;
  const lateness = new Float64Array(options.count).fill(NaN);
  let inFlight = 0;
  let failed = 0;
  let firstError: string | null = null;
  let capStalls = 0;
  let slotFreed: (() => void) | null = null;
  const pending = new Set<Promise<void>>();

  let index = 0;
  while (index < options.count) {
    const now = options.clock();
    if (now > options.deadline) break;
    const due = options.start + index * interval;
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    if (inFlight >= options.inFlight) {
      capStalls++;
      await new Promise<void>((resolve) => {
        slotFreed = resolve;
      });
      continue;
    }
    lateness[index] = now - due;
    inFlight++;
    const done: Promise<void> = options
      .send(index)
      .catch((error: unknown) => {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        inFlight--;
        pending.delete(done);
        const wake = slotFreed;
        slotFreed = null;
        wake?.();
      });
    pending.add(done);
    index++;
  }
  // Bounded: an append that never settles must not hold the bench forever.
  const settled = await Promise.race([Promise.all(pending).then(() => true), sleep(30_000).then(() => false)]);
  return { issued: index, unsettled: settled ? 0 : pending.size, failed, firstError, lateness: lateness.subarray(0, index), capStalls };
}
