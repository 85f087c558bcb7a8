// Automatic firing in operation: pause, resume and trigger from another process; restarts;
// a schedule whose skill stops rendering; cron across DST with an injected clock; overlap skip.
import { ScriptedAgent } from '../../kit/agents.js';
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { startServiceProcess, type ServiceProcess } from '../../kit/serviceProcess.js';
import { makeHome, startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { CHILD_TEST_TIMEOUT_MS, automaticFires, createSession, createSkill, eventsOfType, irregularities, ok, slotsBySchedule, type Json } from './helpers.js';

const SCHEDULER = { ANTON_SERVICE_SCHEDULER_ENABLED: 'true', ANTON_SERVICE_SCHEDULER_POLL_SECONDS: '0.2' };

let database: TestDatabase | undefined;
let services: TestService[] = [];
let child: ServiceProcess | undefined;

afterEach(async () => {
  await child?.dispose();
  for (const service of services.splice(0)) await service.dispose();
  await database?.drop();
  child = database = undefined;
});

async function slotsOf(scheduleId: string): Promise<number[]> {
  return slotsBySchedule(await automaticFires(database!.url)).get(scheduleId) ?? [];
}

async function waitForSlots(scheduleId: string, count: number, timeoutMs = 15_000): Promise<number[]> {
  return waitUntil(async () => {
    const slots = await slotsOf(scheduleId);
    return slots.length >= count ? slots : undefined;
  }, timeoutMs, `${count} fires of schedule ${scheduleId}`);
}

/** Resolves once the wall clock has passed `at` (ms since the epoch): the test observes a period. */
async function until(at: number): Promise<void> {
  await waitUntil(() => (Date.now() >= at ? true : undefined), at - Date.now() + 5_000, 'the observation period to pass');
}

test(
  'pause, resume and trigger from another process take effect at once',
  async () => {
    database = await createTestDatabase();
    services.push(await startTestService({ database, env: SCHEDULER }));
    child = await startServiceProcess({ database, env: SCHEDULER });
    const [a] = services as [TestService];
    const skill = await createSkill(a.rest, 'pulse', 'Pulse {n}.');
    const session = await createSession(a.rest);
    const schedule = await ok(a.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, interval_seconds: 1, start_in_seconds: 1 }));
    const phase = Math.round(schedule.next_run_at * 1000) % 1000;
    await waitForSlots(schedule.id, 2);

    const paused = await ok(child.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
    expect(paused.status).toBe('paused');
    expect(paused.next_run_times).toEqual([]);
    const firedBeforePause = await slotsOf(schedule.id);
    // Two whole intervals with no automatic fire on either process.
    await until(Date.now() + 2_500);
    expect(await slotsOf(schedule.id)).toEqual(firedBeforePause);

    // A manual trigger works on a paused schedule and does not touch its cadence.
    const triggered = await ok(child.rest('POST', `/scheduled-runs/${schedule.id}/trigger`, { wait_for_completion: true }));
    expect(triggered.status).toBe('completed');
    expect(triggered.schedule.status).toBe('paused');
    expect(triggered.schedule.last_run_id).toBe(triggered.run_id);

    const resumed = await ok(child.rest('POST', `/scheduled-runs/${schedule.id}/resume`));
    expect(resumed.status).toBe('active');
    // Overdue by less than the misfire grace (5 s): the slots missed while paused are made up,
    // each once, and the cadence keeps its phase.
    const after = await waitForSlots(schedule.id, firedBeforePause.length + 3);
    expect(new Set(after).size).toBe(after.length);
    for (const slot of after) expect(slot % 1000).toBe(phase);
    await ok(a.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
    const manual = (await eventsOfType(database.url, 'schedule_triggered')).filter((event) => event.payload.mode === 'manual');
    expect(manual.map((event) => event.runId)).toEqual([triggered.run_id]);
  },
  CHILD_TEST_TIMEOUT_MS,
);

test(
  'a restart neither loses nor repeats a slot',
  async () => {
    database = await createTestDatabase();
    const home = await makeHome();
    // A grace wider than the outage (a restart is slow on a busy machine): every missed slot is made up.
    const env = { ...SCHEDULER, ANTON_SERVICE_SCHEDULER_MISFIRE_GRACE_SECONDS: '30' };
    let service = await startTestService({ database, home, env });
    services.push(service);
    const skill = await createSkill(service.rest, 'restart', 'Restart {n}.');
    const session = await createSession(service.rest);
    const schedule = await ok(service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, interval_seconds: 1, start_in_seconds: 1 }));
    await waitForSlots(schedule.id, 3);
    await service.dispose();
    services = [];
    const downAt = Date.now();
    // Down for two intervals, within the misfire grace: those slots are made up after the restart.
    await until(downAt + 2_000);
    service = await startTestService({ database, home, env });
    services.push(service);
    const slots = await waitForSlots(schedule.id, 8, 20_000);
    await ok(service.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
    const final = await slotsOf(schedule.id);
    expect(final[0]).toBe(Math.round(schedule.next_run_at * 1000));
    expect(irregularities(final, 1000)).toEqual([]);
    expect(final.length).toBeGreaterThanOrEqual(slots.length);
  },
  CHILD_TEST_TIMEOUT_MS,
);

test(
  'after downtime longer than the misfire grace, a schedule fires once and keeps its cadence (decision 11)',
  async () => {
    database = await createTestDatabase();
    const home = await makeHome();
    const env = { ...SCHEDULER, ANTON_SERVICE_SCHEDULER_MISFIRE_GRACE_SECONDS: '0' };
    let service = await startTestService({ database, home, env });
    services.push(service);
    const skill = await createSkill(service.rest, 'downtime', 'Down {n}.');
    const session = await createSession(service.rest);
    const schedule = await ok(service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, interval_seconds: 1, start_in_seconds: 1 }));
    const before = await waitForSlots(schedule.id, 2);
    await service.dispose();
    services = [];
    await until(Date.now() + 4_000);
    service = await startTestService({ database, home, env });
    services.push(service);
    const slots = await waitForSlots(schedule.id, before.length + 3);
    await ok(service.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
    const final = await slotsOf(schedule.id);
    const gaps = final.slice(1).map((slot, index) => slot - final[index]!);
    // One gap of at least the downtime, every other step exactly one interval, all on the phase.
    expect(gaps.filter((gap) => gap !== 1000)).toHaveLength(1);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(3000);
    for (const slot of final) expect(slot % 1000).toBe(final[0]! % 1000);
    expect(final.length).toBeGreaterThanOrEqual(slots.length);
  },
  CHILD_TEST_TIMEOUT_MS,
);

test('a schedule whose skill no longer renders is paused, with a schedule_trigger_failed event of no run', async () => {
  database = await createTestDatabase();
  const service = await startTestService({ database, env: SCHEDULER });
  services.push(service);
  const skill = await createSkill(service.rest, 'evolving', 'Report {metric}.');
  const session = await createSession(service.rest);
  const schedule = await ok(
    service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { metric: 'churn' }, interval_seconds: 3600, start_in_seconds: 3600 }),
  );
  // A new version needs a param the schedule does not have; the schedule follows the latest version.
  await ok(service.rest('POST', `/skills/${skill.id}/versions`, { prompt_template: 'Report {metric} by {region}.' }));
  await ok(service.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
  // A failed manual trigger changes nothing: no pause, no event (reference).
  const manual = await service.rest('POST', `/scheduled-runs/${schedule.id}/trigger`, {});
  expect(manual.status).toBe(400);
  expect(manual.body).toEqual({ detail: 'Missing required skill params: region' });
  expect((await ok(service.rest('GET', `/scheduled-runs/${schedule.id}`))).status).toBe('paused');
  expect(await eventsOfType(database.url, 'schedule_trigger_failed')).toEqual([]);

  // Created paused, so that it cannot fire before the next version exists; resumed, it is overdue
  // and fires at once.
  const due = await ok(
    service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { metric: 'churn', region: 'eu' }, start_in_seconds: 0, active: false }),
  );
  expect(due.status).toBe('paused');
  // The next version needs a param this schedule lacks too.
  await ok(service.rest('POST', `/skills/${skill.id}/versions`, { prompt_template: 'Report {metric} for {quarter}.' }));
  await ok(service.rest('POST', `/scheduled-runs/${due.id}/resume`));
  const failed = await waitUntil(async () => {
    const current = await ok(service.rest('GET', `/scheduled-runs/${due.id}`));
    return current.status === 'paused' ? current : undefined;
  }, 10_000, 'the failing schedule to be paused');
  expect(failed.next_run_at).toBe(due.next_run_at);
  const events = (await ok(service.rest('GET', `/sessions/${session}/events`))).events as Json[];
  const failure = events.find((event) => event.event_type === 'schedule_trigger_failed');
  expect(failure).toMatchObject({ run_id: null, payload: { schedule_id: due.id, detail: 'Missing required skill params: quarter' } });
  expect(await slotsOf(due.id)).toEqual([]);
});

test('cron schedules follow their timezone across DST changes (injected clock)', async () => {
  let clock = new Date('2026-03-07T12:00:00Z');
  const service = await startTestService({ now: () => clock });
  services.push(service);
  database = undefined;
  const skill = await createSkill(service.rest, 'nightly', 'Nightly {n}.');
  const session = await createSession(service.rest);
  const create = (cron: string, timezone: string): Promise<Json> =>
    ok(service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, cron, timezone }));
  const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

  // 02:30 does not exist in New York on 8 March 2026 (clocks jump from 02:00 to 03:00): it fires at 03:30 EDT.
  const spring = await create('30 2 * * *', 'America/New_York');
  expect(spring).toMatchObject({ cron: '30 2 * * *', timezone: 'America/New_York', interval_seconds: null, name: 'nightly-cron' });
  expect((spring.next_run_times as number[]).map(iso)).toEqual([
    '2026-03-08T07:30:00.000Z',
    '2026-03-09T06:30:00.000Z',
    '2026-03-10T06:30:00.000Z',
    '2026-03-11T06:30:00.000Z',
    '2026-03-12T06:30:00.000Z',
  ]);
  clock = new Date('2026-03-08T07:30:00.100Z');
  expect(await service.services.schedules.fireDue(spring.id)).toMatchObject({ outcome: 'fired' });
  expect(await service.services.schedules.fireDue(spring.id)).toEqual({ outcome: 'not-due' });
  expect(iso((await ok(service.rest('GET', `/scheduled-runs/${spring.id}`))).next_run_at)).toBe('2026-03-09T06:30:00.000Z');

  // 01:30 happens twice in New York on 1 November 2026 (clocks fall back from 02:00 to 01:00): it fires once.
  clock = new Date('2026-10-31T12:00:00Z');
  const fall = await create('30 1 * * *', 'America/New_York');
  expect(iso(fall.next_run_at)).toBe('2026-11-01T05:30:00.000Z');
  clock = new Date('2026-11-01T05:30:00.050Z');
  expect(await service.services.schedules.fireDue(fall.id)).toMatchObject({ outcome: 'fired' });
  expect(iso((await ok(service.rest('GET', `/scheduled-runs/${fall.id}`))).next_run_at)).toBe('2026-11-02T06:30:00.000Z');
  clock = new Date('2026-11-01T06:30:00.050Z');
  expect(await service.services.schedules.fireDue(fall.id)).toEqual({ outcome: 'not-due' });

  // Every 30 minutes through the repeated hour: each real instant once, four fires in two wall-clock hours.
  clock = new Date('2026-11-01T04:50:00Z');
  const halfHourly = await create('*/30 * * * *', 'America/New_York');
  const fired: string[] = [];
  for (const at of ['05:00', '05:30', '06:00', '06:30']) {
    clock = new Date(`2026-11-01T${at}:00.010Z`);
    const result = await service.services.schedules.fireDue(halfHourly.id);
    expect(result.outcome).toBe('fired');
    fired.push(at);
  }
  expect(fired).toHaveLength(4);
  const runs = (await ok(service.rest('GET', `/scheduled-runs/${halfHourly.id}/runs`))).runs as Json[];
  expect(runs).toHaveLength(4);

  // Europe/Paris springs forward on 29 March: a weekday 09:00 job stays at 09:00 local (07:00 UTC after).
  clock = new Date('2026-03-27T09:00:00Z');
  const paris = await create('0 9 * * 1-5', 'Europe/Paris');
  expect((paris.next_run_times as number[]).slice(0, 2).map(iso)).toEqual(['2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z']);
});

test('overlap_policy skip: no fire while the previous run is unfinished, each skip recorded', async () => {
  const agent = new ScriptedAgent({}, { steps: [{ block: true }, { reply: 'done' }] });
  const service = await startTestService({ env: SCHEDULER, agent });
  services.push(service);
  database = service.database;
  const skill = await createSkill(service.rest, 'slow', 'Slow {n}.');
  const session = await createSession(service.rest);
  const schedule = await ok(
    service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, interval_seconds: 1, start_in_seconds: 1, overlap_policy: 'skip' }),
  );
  expect(schedule.overlap_policy).toBe('skip');
  const skipped = await waitUntil(async () => {
    const events = await eventsOfType(service.database.url, 'schedule_skipped');
    return events.length >= 2 ? events : undefined;
  }, 10_000, 'two skipped slots');
  const [first] = await slotsOf(schedule.id);
  const firstRun = (await automaticFires(service.database.url))[0]!.runId;
  for (const event of skipped) {
    expect(event.runId).toBe(firstRun);
    expect(event.payload).toMatchObject({ schedule_id: schedule.id, running_run_id: firstRun, mode: 'automatic' });
    expect(event.payload.scheduled_for * 1000).toBeGreaterThan(first!);
  }
  agent.release();
  await waitForSlots(schedule.id, 2);
  await ok(service.rest('POST', `/scheduled-runs/${schedule.id}/pause`));
  agent.release();
  const fired = new Set(await slotsOf(schedule.id));
  for (const event of await eventsOfType(service.database.url, 'schedule_skipped')) {
    expect(fired.has(Math.round(event.payload.scheduled_for * 1000))).toBe(false);
  }
});
