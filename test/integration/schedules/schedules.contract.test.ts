// The REST contract of scheduled runs: POST/GET /scheduled-runs, GET /scheduled-runs/{id}[/runs],
// POST /scheduled-runs/{id}/trigger, /pause and /resume, with exact shapes and error texts
// (reference-behaviour.md §1, §3 and §8, decisions.md items 1, 10 and 11, and the implementer's
// additions: cron, timezone, overlap_policy, next_run_times, next_cursor). The automatic
// scheduler stays off: every slot change here comes from a manual trigger, under a fake clock
// where the test needs to be overdue.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import {
  anyEpoch,
  api,
  createSession,
  detail,
  doneRun,
  expectRecentEpoch,
  HEX12,
  issue,
  MSG,
  runListItem,
  runRecord,
  waitForFinished,
  type Api,
} from '../rest/contract.js';
import { documentedRoutes, type Json } from './helpers.js';


const HOUR = 3600;

/** A schedule as REST answers it: the reference's thirteen fields plus the four new ones. */
function scheduleShape(fields: Json): Json {
  return {
    id: expect.stringMatching(HEX12),
    skill_version: null,
    params: {},
    interval_seconds: HOUR,
    next_run_at: anyEpoch(),
    status: 'active',
    last_run_id: null,
    last_run_at: null,
    created_at: anyEpoch(),
    updated_at: anyEpoch(),
    cron: null,
    timezone: 'UTC',
    overlap_policy: 'allow',
    next_run_times: expect.any(Array),
    ...fields,
  };
}

/** `count` slots from `first`, `interval` seconds apart (compared to the millisecond). */
function expectSlots(times: unknown, first: number, interval: number, count = 5): void {
  expect(Array.isArray(times)).toBe(true);
  const list = times as number[];
  expect(list).toHaveLength(count);
  list.forEach((time, index) => expect(time).toBeCloseTo(first + index * interval, 3));
}

async function errorOf(client: Api, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await client.call(method, path, body);
  return { status: response.status, body: response.body };
}

describe('scheduled runs over REST (real clock)', () => {
  const agent = new ScriptedAgent({
    'Hold schedule.': { steps: [{ block: true }, { reply: 'held' }] },
  });
  let service: TestService;
  let client: Api;
  let session: string;
  let skill: Json;
  let counter = 0;
  const unique = (base: string): string => `${base}-${++counter}`;

  const create = (body: Json): Promise<Json> => client.post<Json>('/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'cohort' }, ...body });

  beforeAll(async () => {
    service = await startTestService({ agent });
    client = api(service);
    session = await createSession(client, {});
    skill = await client.post<Json>('/skills', { name: 'kpi', prompt_template: 'Show churn by {dimension}.' });
  });
  afterAll(async () => {
    agent.release();
    await service.dispose();
  });

  describe('POST /scheduled-runs', () => {
    test('an interval schedule with the defaults', async () => {
      const response = await client.call('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'cohort' } });
      expect(response.status).toBe(200);
      const schedule = response.body as Json;
      expect(schedule).toEqual(scheduleShape({ name: 'kpi-every-3600s', session_id: session, skill_id: skill.id, params: { dimension: 'cohort' } }));
      expectRecentEpoch(schedule.created_at);
      expectSlots(schedule.next_run_times, schedule.next_run_at, HOUR);
      expect(Math.abs(schedule.next_run_at - schedule.created_at)).toBeLessThan(1);
      expect(await client.get(`/scheduled-runs/${schedule.id}`)).toEqual(schedule);
    });

    test('§8: next_run_at is the creation time + start_in_seconds, and updated_at the creation time', async () => {
      for (const start of [0, 90]) {
        const schedule = await create({ start_in_seconds: start, interval_seconds: 60 });
        expect({ start, next_run_at: schedule.next_run_at, updated_at: schedule.updated_at }).toEqual({
          start,
          next_run_at: Math.round((schedule.created_at + start) * 1000) / 1000,
          updated_at: schedule.created_at,
        });
      }
    });

    test('every field given', async () => {
      const other = await client.post<Json>('/skills', { name: unique('two-versions'), prompt_template: 'V1 {dimension}.' });
      await client.post(`/skills/${other.id}/versions`, { prompt_template: 'V2 {dimension}.' });
      const schedule = await create({ skill_id: other.id, name: '  nightly \n', skill_version: 2, interval_seconds: 90, start_in_seconds: 600, active: true, overlap_policy: 'skip' });
      expect(schedule).toEqual(
        scheduleShape({
          name: 'nightly',
          session_id: session,
          skill_id: other.id,
          skill_version: 2,
          params: { dimension: 'cohort' },
          interval_seconds: 90,
          overlap_policy: 'skip',
        }),
      );
      expect(schedule.next_run_at - schedule.created_at).toBeGreaterThan(599);
      expect(schedule.next_run_at - schedule.created_at).toBeLessThan(601);
      expectSlots(schedule.next_run_times, schedule.next_run_at, 90);
    });

    test('default names: "" and null give <skill>-every-<interval>s; pydantic coercions apply', async () => {
      expect((await create({ name: '', interval_seconds: 60 })).name).toBe('kpi-every-60s');
      expect((await create({ name: null, interval_seconds: '120' })).name).toBe('kpi-every-120s');
      expect((await create({ interval_seconds: 30.0 })).interval_seconds).toBe(30);
    });

    test('params null or absent are stored as {} for a skill without placeholders', async () => {
      const plain = await client.post<Json>('/skills', { name: unique('plain'), prompt_template: 'No params.' });
      expect((await create({ skill_id: plain.id, params: null })).params).toEqual({});
      expect((await client.post<Json>('/scheduled-runs', { session_id: session, skill_id: plain.id })).params).toEqual({});
      // Extra params are kept on the schedule (they are simply not used by the template).
      expect((await create({ params: { dimension: 'd', unused: 'u' } })).params).toEqual({ dimension: 'd', unused: 'u' });
    });

    test('active: false creates it paused, with no next run times', async () => {
      const schedule = await create({ active: false, start_in_seconds: 5 });
      expect(schedule).toMatchObject({ status: 'paused', next_run_times: [] });
      const coerced = await create({ active: 'no' });
      expect(coerced.status).toBe('paused');
    });

    test('a cron schedule in a timezone', async () => {
      const schedule = await create({ cron: '0 9 * * 1-5', timezone: 'Europe/Paris' });
      expect(schedule).toEqual(
        scheduleShape({
          name: 'kpi-cron',
          session_id: session,
          skill_id: skill.id,
          params: { dimension: 'cohort' },
          interval_seconds: null,
          cron: '0 9 * * 1-5',
          timezone: 'Europe/Paris',
        }),
      );
      const times = schedule.next_run_times as number[];
      expect(times).toHaveLength(5);
      expect(times[0]).toBe(schedule.next_run_at);
      expect(schedule.next_run_at).toBeGreaterThan(Date.now() / 1000 - 1);
      const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
      for (const time of times) {
        const parts = Object.fromEntries(paris.formatToParts(new Date(time * 1000)).map((part) => [part.type, part.value]));
        expect([parts.hour, parts.minute, parts.second]).toEqual(['09', '00', '00']);
        expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(parts.weekday);
      }
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(new Set(times).size).toBe(5);
    });

    test('a 6-field cron (seconds first) defaults to UTC', async () => {
      const schedule = await create({ cron: '*/30 * * * * *', name: 'half-minutes' });
      expect(schedule).toMatchObject({ name: 'half-minutes', cron: '*/30 * * * * *', timezone: 'UTC', interval_seconds: null });
      expect(schedule.next_run_at % 30).toBeCloseTo(0, 3);
      expectSlots(schedule.next_run_times, schedule.next_run_at, 30);
    });

    test('validation errors (400)', async () => {
      const blank = await client.post<Json>('/skills', { name: unique('blank'), prompt_template: '{x}' });
      const cases: Array<[Json, string | RegExp]> = [
        [{ interval_seconds: 0 }, 'interval_seconds must be >= 1.'],
        [{ interval_seconds: -5 }, 'interval_seconds must be >= 1.'],
        [{ start_in_seconds: -1 }, 'start_in_seconds must be >= 0.'],
        [{ skill_version: 0 }, 'skill_version must be >= 1.'],
        [{ skill_version: -1 }, 'skill_version must be >= 1.'],
        [{ interval_seconds: 60, cron: '* * * * *' }, 'Give either interval_seconds or cron, not both.'],
        [{ cron: '* * * *' }, 'cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); got 4.'],
        [{ cron: '* * * * * * *' }, 'cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); got 7.'],
        [{ cron: '61 * * * *' }, /^Invalid cron expression '61 \* \* \* \*': .+/],
        [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, /^Unknown timezone 'Mars\/Olympus': .+/],
        [{ timezone: 'Europe/Paris' }, 'timezone applies to cron schedules only.'],
        [{ overlap_policy: 'never' }, "overlap_policy must be 'allow' or 'skip'."],
        [{ overlap_policy: 'SKIP' }, "overlap_policy must be 'allow' or 'skip'."],
        [{ overlap_policy: '' }, "overlap_policy must be 'allow' or 'skip'."],
        [{ name: '  \t' }, 'Schedule name cannot be empty.'],
        [{ params: {} }, 'Missing required skill params: dimension'],
        [{ skill_id: blank.id, params: { x: ' \n ' } }, 'Rendered skill prompt is empty.'],
      ];
      for (const [body, message] of cases) {
        const response = await errorOf(client, 'POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'cohort' }, ...body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        const text = (response.body as Json).detail as string;
        if (typeof message === 'string') expect({ body, detail: text }).toEqual({ body, detail: message });
        else expect({ body, detail: text }).toEqual({ body, detail: expect.stringMatching(message) });
      }
    });

    test('validation order: interval, start, version, cadence and overlap, session, skill, render, name', async () => {
      const worst: Json = {
        session_id: 'nope',
        skill_id: 'nope',
        interval_seconds: 0,
        start_in_seconds: -1,
        skill_version: 0,
        timezone: 'Mars/Olympus',
        overlap_policy: 'never',
        params: {},
        name: '   ',
      };
      const steps: Array<[Json, number, string | RegExp]> = [
        [worst, 400, 'interval_seconds must be >= 1.'],
        [{ ...worst, interval_seconds: 60 }, 400, 'start_in_seconds must be >= 0.'],
        [{ ...worst, interval_seconds: 60, start_in_seconds: 0 }, 400, 'skill_version must be >= 1.'],
        [{ ...worst, interval_seconds: 60, start_in_seconds: 0, skill_version: null }, 400, 'timezone applies to cron schedules only.'],
        [{ ...worst, interval_seconds: null, cron: '* * * *', timezone: null, start_in_seconds: 0, skill_version: null }, 400, /^cron must have 5 fields/],
        [{ ...worst, interval_seconds: 60, start_in_seconds: 0, skill_version: null, timezone: null }, 400, "overlap_policy must be 'allow' or 'skip'."],
        [{ ...worst, interval_seconds: 60, start_in_seconds: 0, skill_version: null, timezone: null, overlap_policy: 'skip' }, 404, "Unknown session_id 'nope'."],
        [{ ...worst, session_id: session, interval_seconds: 60, start_in_seconds: 0, skill_version: null, timezone: null, overlap_policy: 'skip' }, 404, "Unknown skill_id/version combination for 'nope'."],
        [{ ...worst, session_id: session, skill_id: skill.id, skill_version: 9, interval_seconds: 60, start_in_seconds: 0, timezone: null, overlap_policy: 'skip' }, 404, `Unknown skill_id/version combination for '${skill.id}'.`],
        [{ ...worst, session_id: session, skill_id: skill.id, interval_seconds: 60, start_in_seconds: 0, skill_version: null, timezone: null, overlap_policy: 'skip' }, 400, 'Missing required skill params: dimension'],
        [{ ...worst, session_id: session, skill_id: skill.id, interval_seconds: 60, start_in_seconds: 0, skill_version: null, timezone: null, overlap_policy: 'skip', params: { dimension: 'd' } }, 400, 'Schedule name cannot be empty.'],
      ];
      for (const [body, status, message] of steps) {
        const response = await errorOf(client, 'POST', '/scheduled-runs', body);
        const text = (response.body as Json | undefined)?.detail;
        expect({ body, status: response.status, detail: text }).toEqual({ body, status, detail: typeof message === 'string' ? message : expect.stringMatching(message) });
      }
    });

    test('each of the first three checks comes before an invalid overlap_policy', async () => {
      const base = { session_id: session, skill_id: skill.id, params: { dimension: 'd' }, overlap_policy: 'never' };
      expect(await errorOf(client, 'POST', '/scheduled-runs', { ...base, interval_seconds: 0 })).toEqual({ status: 400, body: detail('interval_seconds must be >= 1.') });
      expect(await errorOf(client, 'POST', '/scheduled-runs', { ...base, start_in_seconds: -1 })).toEqual({ status: 400, body: detail('start_in_seconds must be >= 0.') });
      expect(await errorOf(client, 'POST', '/scheduled-runs', { ...base, skill_version: 0 })).toEqual({ status: 400, body: detail('skill_version must be >= 1.') });
    });

    test('integers beyond 32 bits: no GraphQL coercion text; an unknown version is 404 as in the reference', async () => {
      const version = await errorOf(client, 'POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'd' }, skill_version: 2 ** 31 });
      expect(version).toEqual({ status: 404, body: detail(`Unknown skill_id/version combination for '${skill.id}'.`) });
      // The reference accepts any int here; refusing a 68-year interval is fine, but in the contract's words.
      for (const field of ['interval_seconds', 'start_in_seconds']) {
        const response = await client.call('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'd' }, [field]: 2 ** 31 });
        const text = response.status === 200 ? null : String((response.body as Json).detail);
        expect({ field, status: response.status, leaksGraphQL: text !== null && /\$input|Variable|Int cannot represent/.test(text) }).toEqual({
          field,
          status: text === null ? 200 : 400,
          leaksGraphQL: false,
        });
        if (text !== null) expect(text).toMatch(new RegExp(`^${field} .*\\.$`));
      }
    });

    test('a bad cadence comes before an unknown session or skill', async () => {
      const base = { session_id: 'nope', skill_id: 'nope' };
      expect(await errorOf(client, 'POST', '/scheduled-runs', { ...base, interval_seconds: 60, cron: '* * * * *' })).toEqual({
        status: 400,
        body: detail('Give either interval_seconds or cron, not both.'),
      });
      const timezone = await errorOf(client, 'POST', '/scheduled-runs', { ...base, cron: '* * * * *', timezone: 'Nowhere/Else' });
      expect(timezone.status).toBe(400);
      expect((timezone.body as Json).detail).toMatch(/^Unknown timezone 'Nowhere\/Else': /);
    });

    test('422 in the FastAPI shape', async () => {
      expect(await errorOf(client, 'POST', '/scheduled-runs')).toEqual({ status: 422, body: { detail: [issue('missing', ['body'], MSG.missing, null)] } });
      expect(await errorOf(client, 'POST', '/scheduled-runs', {})).toEqual({
        status: 422,
        body: { detail: [issue('missing', ['body', 'session_id'], MSG.missing, {}), issue('missing', ['body', 'skill_id'], MSG.missing, {})] },
      });
      expect(await errorOf(client, 'POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 1 } })).toEqual({
        status: 422,
        body: { detail: [issue('string_type', ['body', 'params', 'dimension'], MSG.string_type, 1)] },
      });
      const fraction = await errorOf(client, 'POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'x' }, interval_seconds: 60.5 });
      expect(fraction.status).toBe(422);
      expect((fraction.body as Json).detail).toEqual([expect.objectContaining({ type: 'int_from_float', loc: ['body', 'interval_seconds'], input: 60.5 })]);
    });
  });

  describe('GET /scheduled-runs', () => {
    test('newest first, with an exact status filter', async () => {
      const paused = await create({ active: false, name: unique('listed') });
      const active = await create({ name: unique('listed') });
      const all = await client.get<{ scheduled_runs: Json[]; next_cursor: string | null }>('/scheduled-runs?limit=1000');
      expect(all.next_cursor).toBeNull();
      expect(all.scheduled_runs.slice(0, 2)).toEqual([await client.get(`/scheduled-runs/${active.id}`), await client.get(`/scheduled-runs/${paused.id}`)]);
      const created = all.scheduled_runs.map((item) => item.created_at as number);
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const activeOnly = await client.get<{ scheduled_runs: Json[] }>('/scheduled-runs?status=active&limit=1000');
      expect(activeOnly.scheduled_runs.every((item) => item.status === 'active')).toBe(true);
      expect(activeOnly.scheduled_runs.map((item) => item.id)).toContain(active.id);
      expect(activeOnly.scheduled_runs.map((item) => item.id)).not.toContain(paused.id);
      const pausedOnly = await client.get<{ scheduled_runs: Json[] }>('/scheduled-runs?status=paused&limit=1000');
      expect(pausedOnly.scheduled_runs.map((item) => item.id)).toContain(paused.id);
      expect(pausedOnly.scheduled_runs.every((item) => item.status === 'paused')).toBe(true);
      expect(await client.get('/scheduled-runs?status=bogus')).toEqual({ scheduled_runs: [], next_cursor: null });
      const empty = await client.get<{ scheduled_runs: Json[] }>('/scheduled-runs?status=&limit=1000');
      expect(empty.scheduled_runs).toHaveLength(all.scheduled_runs.length);
    });

    test('pages with limit, next_cursor and after', async () => {
      for (let index = 0; index < 3; index += 1) await create({ name: unique('paged') });
      const all = await client.get<{ scheduled_runs: Json[] }>('/scheduled-runs?limit=1000');
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const query: string = after === null ? '/scheduled-runs?limit=2' : `/scheduled-runs?limit=2&after=${encodeURIComponent(after)}`;
        const page: { scheduled_runs: Json[]; next_cursor: string | null } = await client.get(query);
        expect(page.scheduled_runs.length).toBeLessThanOrEqual(2);
        seen.push(...page.scheduled_runs.map((item) => item.id as string));
        after = page.next_cursor;
        expect(seen.length).toBeLessThanOrEqual(all.scheduled_runs.length);
      } while (after !== null);
      expect(seen).toEqual(all.scheduled_runs.map((item) => item.id));
      const one = await client.get<{ scheduled_runs: Json[]; next_cursor: string | null }>('/scheduled-runs?limit=0');
      expect(one.scheduled_runs).toHaveLength(1);
      expect(one.next_cursor).toEqual(expect.any(String));
      expect(await errorOf(client, 'GET', '/scheduled-runs?after=zzz')).toEqual({ status: 400, body: detail("Invalid cursor 'zzz'.") });
      expect(await errorOf(client, 'GET', '/scheduled-runs?limit=x')).toEqual({ status: 422, body: { detail: [issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'x')] } });
    });

    test('GET /scheduled-runs/{id} of an unknown id is 404', async () => {
      expect(await errorOf(client, 'GET', '/scheduled-runs/nope')).toEqual({ status: 404, body: detail("Unknown schedule_id 'nope'.") });
      expect(await errorOf(client, 'GET', '/scheduled-runs/nope/runs')).toEqual({ status: 404, body: detail("Unknown schedule_id 'nope'.") });
    });
  });

  describe('pause and resume', () => {
    test('toggle the status, bump updated_at and keep next_run_at', async () => {
      const schedule = await create({ start_in_seconds: 120, interval_seconds: 45 });
      const paused = await client.post<Json>(`/scheduled-runs/${schedule.id}/pause`);
      expect(paused).toEqual({ ...schedule, status: 'paused', next_run_times: [], updated_at: expect.any(Number) });
      expect(paused.updated_at).toBeGreaterThanOrEqual(schedule.updated_at);
      const again = await client.post<Json>(`/scheduled-runs/${schedule.id}/pause`);
      expect(again).toMatchObject({ status: 'paused', next_run_at: schedule.next_run_at });
      const resumed = await client.post<Json>(`/scheduled-runs/${schedule.id}/resume`);
      expect(resumed).toEqual({ ...schedule, updated_at: expect.any(Number) });
      expect(resumed.updated_at).toBeGreaterThanOrEqual(paused.updated_at);
      expectSlots(resumed.next_run_times, schedule.next_run_at, 45);
      expect(await client.get(`/scheduled-runs/${schedule.id}`)).toEqual(resumed);
    });

    test('an unknown schedule is 404', async () => {
      for (const action of ['pause', 'resume']) {
        expect(await errorOf(client, 'POST', `/scheduled-runs/nope/${action}`)).toEqual({ status: 404, body: detail("Unknown schedule_id 'nope'.") });
      }
    });
  });

  describe('POST /scheduled-runs/{id}/trigger', () => {
    test('runs the skill and answers the schedule fields plus the turn result', async () => {
      const ownSession = await createSession(client, {});
      const schedule = await create({ session_id: ownSession, start_in_seconds: HOUR, skill_version: 1, interval_seconds: 600 });
      const response = await client.call('POST', `/scheduled-runs/${schedule.id}/trigger`, { wait_for_completion: true });
      expect(response.status).toBe(200);
      const body = response.body as Json;
      const prompt = 'Show churn by cohort.';
      expect(body).toEqual({
        schedule_id: schedule.id,
        skill_id: skill.id,
        skill_version: 1,
        rendered_prompt: prompt,
        schedule: {
          ...schedule,
          last_run_id: body.run_id,
          last_run_at: expect.any(Number),
          updated_at: expect.any(Number),
        },
        run_id: expect.stringMatching(HEX12),
        status: 'completed',
        reply: 'done',
        error: null,
        pending_approval_ids: [],
        total_tokens: 15,
        tool_calls: 0,
        run: doneRun(body.run_id, ownSession, prompt),
        reused: false,
      });
      // Not due yet: the cadence is untouched.
      expect(body.schedule.next_run_at).toBe(schedule.next_run_at);
      expect(body.schedule.next_run_times).toEqual(schedule.next_run_times);
      expectRecentEpoch(body.schedule.last_run_at);
      expect(body.schedule.updated_at).toBeCloseTo(body.schedule.last_run_at, 3);
      expect(await client.get(`/scheduled-runs/${schedule.id}`)).toEqual(body.schedule);

      const runs = await client.get<Json>(`/scheduled-runs/${schedule.id}/runs`);
      expect(runs).toEqual({ schedule_id: schedule.id, runs: [runListItem({ id: body.run_id, session_id: ownSession, status: 'completed', prompt, input_tokens: 10, output_tokens: 5, total_tokens: 15 })] });

      const trace = await client.get<Json>(`/runs/${body.run_id}/trace`);
      expect(trace.skill).toEqual({ skill_id: skill.id, skill_version: 1, params: { dimension: 'cohort' } });
      expect(trace.schedule_id).toBe(schedule.id);

      const events = (await client.get<{ events: Json[] }>(`/sessions/${ownSession}/events`)).events;
      const triggered = events.filter((event) => event.event_type === 'schedule_triggered');
      expect(triggered).toEqual([
        { id: expect.any(Number), run_id: body.run_id, ts: anyEpoch(), event_type: 'schedule_triggered', payload: { schedule_id: schedule.id, skill_id: skill.id, skill_version: 1, mode: 'manual' } },
      ]);
      const created = events.find((event) => event.event_type === 'run_created' && event.run_id === body.run_id);
      expect(created).toBeDefined();
      expect(triggered[0]!.id).toBeGreaterThan(created!.id);
    });

    test('decision 10: no body at all, or {}, is fine; the default is not to wait', async () => {
      const ownSession = await createSession(client, {});
      const schedule = await create({ session_id: ownSession, start_in_seconds: HOUR });
      for (const body of [undefined, {}]) {
        const response = await client.call('POST', `/scheduled-runs/${schedule.id}/trigger`, body);
        expect(response.status).toBe(200);
        const result = response.body as Json;
        expect(result).toMatchObject({ schedule_id: schedule.id, rendered_prompt: 'Show churn by cohort.', reused: false });
        expect(['running', 'completed']).toContain(result.status);
        await waitForFinished(client, result.run_id as string);
      }
      const runs = await client.get<{ runs: Json[] }>(`/scheduled-runs/${schedule.id}/runs`);
      expect(runs.runs).toHaveLength(2);
    });

    test('wait_for_completion false answers the running run at once', async () => {
      const held = await client.post<Json>('/skills', { name: unique('held'), prompt_template: 'Hold {what}.' });
      const ownSession = await createSession(client, {});
      const schedule = await client.post<Json>('/scheduled-runs', { session_id: ownSession, skill_id: held.id, params: { what: 'schedule' }, start_in_seconds: HOUR });
      const body = await client.post<Json>(`/scheduled-runs/${schedule.id}/trigger`, { wait_for_completion: false });
      expect(body).toMatchObject({
        status: 'running',
        reply: '',
        total_tokens: 0,
        reused: false,
        rendered_prompt: 'Hold schedule.',
        run: runRecord({ id: body.run_id, session_id: ownSession, status: 'running', prompt: 'Hold schedule.' }),
      });
      const listed = await client.get<{ runs: Json[] }>(`/scheduled-runs/${schedule.id}/runs`);
      expect(listed.runs.map((run) => [run.id, run.status])).toEqual([[body.run_id, 'running']]);
      await waitUntil(() => (agent.started.some((input) => input.message === 'Hold schedule.') ? true : undefined), 10_000, 'the held run to start');
      agent.release();
      expect((await waitForFinished(client, body.run_id as string)).status).toBe('completed');
    });

    test('the same idempotency key returns the same run', async () => {
      const ownSession = await createSession(client, {});
      const schedule = await create({ session_id: ownSession, start_in_seconds: HOUR });
      const first = await client.post<Json>(`/scheduled-runs/${schedule.id}/trigger`, { idempotency_key: 'nightly-1', wait_for_completion: true });
      const again = await client.post<Json>(`/scheduled-runs/${schedule.id}/trigger`, { idempotency_key: 'nightly-1', wait_for_completion: true });
      expect(again.run_id).toBe(first.run_id);
      expect(again.reused).toBe(true);
      expect(again.run).toEqual(await client.get(`/runs/${first.run_id}`));
      expect(again.schedule.last_run_id).toBe(first.run_id);
      const other = await client.post<Json>(`/scheduled-runs/${schedule.id}/trigger`, { idempotency_key: 'nightly-2', wait_for_completion: true });
      expect(other.run_id).not.toBe(first.run_id);
      expect(other.reused).toBe(false);
      const runs = await client.get<{ runs: Json[] }>(`/scheduled-runs/${schedule.id}/runs`);
      expect(runs.runs.map((run) => run.id)).toEqual([other.run_id, first.run_id]);
    });

    test('a paused schedule can be triggered and stays paused', async () => {
      const ownSession = await createSession(client, {});
      const schedule = await create({ session_id: ownSession, active: false, start_in_seconds: HOUR });
      const body = await client.post<Json>(`/scheduled-runs/${schedule.id}/trigger`, { wait_for_completion: true });
      expect(body.status).toBe('completed');
      expect(body.schedule).toMatchObject({ status: 'paused', next_run_times: [], next_run_at: schedule.next_run_at, last_run_id: body.run_id });
    });

    test('errors: unknown schedule, then the skill-run checks; a failed trigger changes nothing', async () => {
      expect(await errorOf(client, 'POST', '/scheduled-runs/nope/trigger', {})).toEqual({ status: 404, body: detail("Unknown schedule_id 'nope'.") });
      expect(await errorOf(client, 'POST', '/scheduled-runs/nope/trigger')).toEqual({ status: 404, body: detail("Unknown schedule_id 'nope'.") });
      // A schedule on "the latest version" breaks when a new version needs more params.
      const moving = await client.post<Json>('/skills', { name: unique('moving'), prompt_template: 'Report {a}.' });
      const ownSession = await createSession(client, {});
      const latest = await client.post<Json>('/scheduled-runs', { session_id: ownSession, skill_id: moving.id, params: { a: 'x' }, start_in_seconds: HOUR });
      const pinned = await client.post<Json>('/scheduled-runs', { session_id: ownSession, skill_id: moving.id, skill_version: 1, params: { a: 'x' }, start_in_seconds: HOUR });
      await client.post(`/skills/${moving.id}/versions`, { prompt_template: 'Report {a} by {z} and {b}.' });
      expect(await errorOf(client, 'POST', `/scheduled-runs/${latest.id}/trigger`, { wait_for_completion: true })).toEqual({
        status: 400,
        body: detail('Missing required skill params: b, z'),
      });
      expect(await client.get(`/scheduled-runs/${latest.id}`)).toEqual(latest);
      expect((await client.get<{ runs: Json[] }>(`/scheduled-runs/${latest.id}/runs`)).runs).toEqual([]);
      const events = (await client.get<{ events: Json[] }>(`/sessions/${ownSession}/events`)).events;
      expect(events.filter((event) => String(event.event_type).startsWith('schedule_'))).toEqual([]);
      // The pinned one still renders version 1.
      const ok = await client.post<Json>(`/scheduled-runs/${pinned.id}/trigger`, { wait_for_completion: true });
      expect(ok).toMatchObject({ skill_version: 1, rendered_prompt: 'Report x.', status: 'completed' });
    });

    test('request validation: 422 for bad field types, 400 for a negative wait', async () => {
      const schedule = await create({ start_in_seconds: HOUR });
      const bad = await errorOf(client, 'POST', `/scheduled-runs/${schedule.id}/trigger`, { wait_for_completion: 'maybe', idempotency_key: 3 });
      expect(bad).toEqual({
        status: 422,
        body: {
          detail: [
            issue('string_type', ['body', 'idempotency_key'], MSG.string_type, 3),
            issue('bool_parsing', ['body', 'wait_for_completion'], MSG.bool_parsing, 'maybe'),
          ],
        },
      });
      expect(await errorOf(client, 'POST', `/scheduled-runs/${schedule.id}/trigger`, { wait_timeout_seconds: -1 })).toEqual({
        status: 400,
        body: detail('wait_timeout_seconds must be a number >= 0.'),
      });
      expect((await client.get<Json>(`/scheduled-runs/${schedule.id}`)).last_run_id).toBeNull();
    });

    test('GET /scheduled-runs/{id}/runs lists only that schedule’s runs, newest first, with limit', async () => {
      const ownSession = await createSession(client, {});
      const one = await create({ session_id: ownSession, start_in_seconds: HOUR });
      const two = await create({ session_id: ownSession, start_in_seconds: HOUR });
      const a = await client.post<Json>(`/scheduled-runs/${one.id}/trigger`, { wait_for_completion: true });
      const b = await client.post<Json>(`/scheduled-runs/${two.id}/trigger`, { wait_for_completion: true });
      const c = await client.post<Json>(`/scheduled-runs/${one.id}/trigger`, { wait_for_completion: true });
      await client.post(`/sessions/${ownSession}/turn`, { message: 'unrelated' });
      expect((await client.get<{ runs: Json[] }>(`/scheduled-runs/${one.id}/runs`)).runs.map((run) => run.id)).toEqual([c.run_id, a.run_id]);
      expect((await client.get<{ runs: Json[] }>(`/scheduled-runs/${two.id}/runs`)).runs.map((run) => run.id)).toEqual([b.run_id]);
      expect((await client.get<{ runs: Json[] }>(`/scheduled-runs/${one.id}/runs?limit=1`)).runs.map((run) => run.id)).toEqual([c.run_id]);
      expect((await client.get<{ runs: Json[] }>(`/scheduled-runs/${one.id}/runs?limit=0`)).runs.map((run) => run.id)).toEqual([c.run_id]);
    });
  });

  test('GET /openapi.json lists every scheduled-runs route', async () => {
    const doc = await client.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    const documented = await documentedRoutes((path) => client.get(path), '/scheduled-runs');
    expect(documented).toEqual(
      [
        'get /scheduled-runs',
        'get /scheduled-runs/{schedule_id}',
        'get /scheduled-runs/{schedule_id}/runs',
        'post /scheduled-runs',
        'post /scheduled-runs/{schedule_id}/pause',
        'post /scheduled-runs/{schedule_id}/resume',
        'post /scheduled-runs/{schedule_id}/trigger',
      ].sort(),
    );
    // Decision 10: the trigger's body is optional.
    const trigger = doc.paths['/scheduled-runs/{schedule_id}/trigger']!.post as { requestBody?: { required?: boolean } };
    expect(trigger.requestBody?.required ?? false).toBe(false);
    type Operation = { parameters?: Array<{ name: string; in: string; schema: { default?: unknown } }>; responses: Record<string, unknown> };
    const operation = (method: string, path: string): Operation => doc.paths[path]![method] as Operation;
    const query = (path: string): Json =>
      Object.fromEntries((operation('get', path).parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema.default]));
    expect(query('/scheduled-runs')).toEqual({ status: null, limit: 200, after: null });
    expect(query('/scheduled-runs/{schedule_id}/runs')).toEqual({ limit: 100 });
    expect(Object.keys(operation('post', '/scheduled-runs').responses)).toEqual(expect.arrayContaining(['200', '400', '404', '422']));
    expect(Object.keys(operation('post', '/scheduled-runs/{schedule_id}/trigger').responses)).toEqual(expect.arrayContaining(['200', '400', '404', '422']));
    for (const action of ['pause', 'resume']) expect(Object.keys(operation('post', `/scheduled-runs/{schedule_id}/${action}`).responses)).toEqual(expect.arrayContaining(['200', '404']));
  });

  test('routes that do not exist: deleting skills or schedules, wrong methods', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['DELETE', `/skills/${skill.id}`, 405, 'Method Not Allowed'],
      ['PUT', '/skills', 405, 'Method Not Allowed'],
      ['GET', `/skills/${skill.id}/run`, 405, 'Method Not Allowed'],
      ['DELETE', '/scheduled-runs/x', 405, 'Method Not Allowed'],
      ['GET', '/scheduled-runs/x/trigger', 405, 'Method Not Allowed'],
      ['GET', '/scheduled-runs/x/pause', 405, 'Method Not Allowed'],
      ['GET', '/skills/x/versions/1', 404, 'Not Found'],
      ['POST', '/scheduled-runs/x/fire', 404, 'Not Found'],
    ];
    for (const [method, path, status, text] of cases) {
      const response = await client.call(method, path, method === 'GET' ? undefined : {});
      expect({ method, path, status: response.status, body: response.body }).toEqual({ method, path, status, body: detail(text) });
    }
  });
});

describe('manual triggers and the cadence (fake clock)', () => {
  const T0 = Date.UTC(2031, 2, 3, 10, 0, 0) / 1000;
  let clock = T0;
  let service: TestService;
  let client: Api;
  let session: string;
  let skill: Json;

  beforeAll(async () => {
    service = await startTestService({ now: () => new Date(clock * 1000) });
    client = api(service);
    session = await createSession(client, {});
    skill = await client.post<Json>('/skills', { name: 'clocked', prompt_template: 'Tick {n}.' });
  });
  afterAll(() => service.dispose());

  const createAt = async (at: number, body: Json): Promise<Json> => {
    clock = at;
    return client.post<Json>('/scheduled-runs', { session_id: session, skill_id: skill.id, params: { n: '1' }, ...body });
  };
  const triggerAt = async (at: number, id: string): Promise<Json> => {
    clock = at;
    return client.post<Json>(`/scheduled-runs/${id}/trigger`, { wait_for_completion: true });
  };

  test('next_run_at is now + start_in_seconds, next_run_times follow the interval', async () => {
    const schedule = await createAt(T0, { interval_seconds: 60, start_in_seconds: 30 });
    expect(schedule.next_run_at).toBe(T0 + 30);
    expect(schedule.next_run_times).toEqual([T0 + 30, T0 + 90, T0 + 150, T0 + 210, T0 + 270]);
  });

  test('an overdue trigger moves next_run_at to the first slot after now, on the cadence', async () => {
    const schedule = await createAt(T0, { interval_seconds: 60 });
    expect(schedule.next_run_at).toBe(T0);
    const late = await triggerAt(T0 + 150, schedule.id);
    expect(late.schedule).toMatchObject({ next_run_at: T0 + 180, last_run_at: T0 + 150, updated_at: T0 + 150, last_run_id: late.run_id });
    expect(late.schedule.next_run_times).toEqual([T0 + 180, T0 + 240, T0 + 300, T0 + 360, T0 + 420]);
    // Not due any more: a second trigger leaves the slot alone.
    const early = await triggerAt(T0 + 170, schedule.id);
    expect(early.schedule).toMatchObject({ next_run_at: T0 + 180, last_run_at: T0 + 170, last_run_id: early.run_id });
    // Exactly on the slot counts as due.
    const onTime = await triggerAt(T0 + 180, schedule.id);
    expect(onTime.schedule.next_run_at).toBe(T0 + 240);
    // Ten intervals late: the missed slots are skipped, not made up.
    const veryLate = await triggerAt(T0 + 240 + 10 * 60 + 1, schedule.id);
    expect(veryLate.schedule.next_run_at).toBe(T0 + 240 + 11 * 60);
    expect(await client.get(`/scheduled-runs/${schedule.id}`)).toEqual(veryLate.schedule);
  });

  test('an overdue trigger on a paused schedule advances the slot and keeps it paused', async () => {
    const schedule = await createAt(T0, { interval_seconds: 100, active: false });
    const triggered = await triggerAt(T0 + 250, schedule.id);
    expect(triggered.schedule).toMatchObject({ status: 'paused', next_run_at: T0 + 300, next_run_times: [] });
    clock = T0 + 260;
    const resumed = await client.post<Json>(`/scheduled-runs/${schedule.id}/resume`);
    expect(resumed).toMatchObject({ status: 'active', next_run_at: T0 + 300, updated_at: T0 + 260 });
    expect(resumed.next_run_times).toEqual([T0 + 300, T0 + 400, T0 + 500, T0 + 600, T0 + 700]);
  });

  test('pause and resume keep an overdue next_run_at as it is', async () => {
    const schedule = await createAt(T0, { interval_seconds: 60 });
    clock = T0 + 1000;
    const paused = await client.post<Json>(`/scheduled-runs/${schedule.id}/pause`);
    expect(paused).toMatchObject({ status: 'paused', next_run_at: T0, updated_at: T0 + 1000, next_run_times: [] });
    const resumed = await client.post<Json>(`/scheduled-runs/${schedule.id}/resume`);
    expect(resumed).toMatchObject({ status: 'active', next_run_at: T0 });
  });

  test('a cron schedule: its first slot, and an overdue trigger moves to the next cron time', async () => {
    // 10:00:00 UTC; every quarter hour.
    const schedule = await createAt(T0 + 1, { cron: '*/15 * * * *' });
    expect(schedule.next_run_at).toBe(T0 + 900);
    expect(schedule.next_run_times).toEqual([T0 + 900, T0 + 1800, T0 + 2700, T0 + 3600, T0 + 4500]);
    const onSlot = await createAt(T0, { cron: '*/15 * * * *' });
    expect(onSlot.next_run_at).toBe(T0);
    const late = await triggerAt(T0 + 2000, onSlot.id);
    expect(late.schedule.next_run_at).toBe(T0 + 2700);
    const zoned = await createAt(T0, { cron: '30 9 * * *', timezone: 'America/New_York' });
    // 2031-03-03 is before the US DST change: New York is UTC-5, so 09:30 there is 14:30 UTC.
    expect(zoned.next_run_at).toBe(T0 + 4.5 * 3600);
    expect(zoned.next_run_times[1]).toBe(T0 + 4.5 * 3600 + 86_400);
  });
});
