// Two service processes on one PostgreSQL, each running the scheduler: 20 schedules at a
// 1-second interval for 30 seconds. Every slot fires exactly once: no slot is missed, none is
// repeated, and the slots stay on each schedule's cadence (no drift).
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import type { ServiceProcess } from '../../kit/serviceProcess.js';
import { waitUntil } from '../../kit/service.js';
import { CHILD_TEST_TIMEOUT_MS, automaticFires, automaticTriggerSlots, firesPerProcess, ok, slotProblems, slotsBySchedule, twoProcessesFiringEverySecond } from './helpers.js';

const SCHEDULES = 20;
const RUN_FOR_MS = 30_000;
const SCHEDULER = {
  ANTON_SERVICE_SCHEDULER_ENABLED: 'true',
  ANTON_SERVICE_SCHEDULER_POLL_SECONDS: '0.5',
  ANTON_SERVICE_SCHEDULER_BATCH_SIZE: '20',
  // This test is about claiming each slot once across processes, not about latency (the bench
  // measures fire lag): on a CI machine busy with other suites a fire can be seconds late, and a
  // wide misfire grace keeps such slots (each still fired once) instead of skipping them.
  ANTON_SERVICE_SCHEDULER_MISFIRE_GRACE_SECONDS: '30',
};

let database: TestDatabase | undefined;
const processes: ServiceProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((child) => child.dispose()));
  await database?.drop();
  database = undefined;
});

test(
  '2 processes × 20 schedules × 1 s for 30 s: every slot fires exactly once',
  async () => {
    database = await createTestDatabase();
    const { a, b, firstSlots } = await twoProcessesFiringEverySecond(database, SCHEDULER, SCHEDULES, processes);
    const endAt = Math.max(...firstSlots.values()) + RUN_FOR_MS;
    // Wait for the run to complete: until the last schedule's slot at endAt has fired.
    await waitUntil(
      async () => {
        const fires = await automaticFires(database!.url);
        const latest = slotsBySchedule(fires);
        return [...firstSlots.keys()].every((id) => (latest.get(id)?.at(-1) ?? 0) >= endAt - 1000) ? true : undefined;
      },
      RUN_FOR_MS + 20_000,
      'every schedule to reach its last slot',
    );
    // Pause every schedule (through the other process), then take the final count.
    await Promise.all([...firstSlots.keys()].map((scheduleId, index) => ok((index % 2 ? a : b).rest('POST', `/scheduled-runs/${scheduleId}/pause`))));

    const fires = await automaticFires(database.url);
    const bySchedule = slotsBySchedule(fires);
    const counts = [...bySchedule.values()].map((slots) => slots.length);
    const lags = fires.map((fire) => fire.createdMs - fire.slotMs).sort((x, y) => x - y);
    const p99 = lags[Math.floor(lags.length * 0.99)] ?? 0;
    // Reported for the issue note: the exactly-once evidence and the fire lag (run created − slot).
    console.log(
      `exactness: ${fires.length} fires of ${SCHEDULES} schedules, ${Math.min(...counts)}–${Math.max(...counts)} per schedule; ` +
        `lag p50 ${lags[Math.floor(lags.length / 2)]} ms, p99 ${p99} ms, max ${lags.at(-1)} ms`,
    );
    const start = Math.min(...firstSlots.values());
    const bySecond = new Map<number, number>();
    for (const fire of fires) {
      const second = Math.floor((fire.slotMs - start) / 1000);
      bySecond.set(second, Math.max(bySecond.get(second) ?? 0, fire.createdMs - fire.slotMs));
    }
    console.log(`max lag by second: ${[...bySecond.entries()].sort((x, y) => x[0] - y[0]).map(([sec, lag]) => `${sec}:${lag}`).join(' ')}`);
    expect(slotProblems(firstSlots, bySchedule, endAt)).toEqual([]);
    for (const slots of bySchedule.values()) expect(slots.length).toBeGreaterThanOrEqual(RUN_FOR_MS / 1000);
    // One schedule_triggered event per fire, each naming its slot once.
    const triggered = await automaticTriggerSlots(database.url);
    expect(triggered).toHaveLength(fires.length);
    expect(new Set(triggered).size).toBe(fires.length);
    // Both processes fired: a local-mode run executes in the process that created it.
    const perProcess = firesPerProcess(processes, fires);
    console.log(`fires executed per process: ${perProcess.join(' / ')}`);
    expect(perProcess.every((count) => count > 0)).toBe(true);
  },
  CHILD_TEST_TIMEOUT_MS,
);
