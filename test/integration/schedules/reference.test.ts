// The reference's skill and schedule acceptance checks (reference-behaviour.md §14, tests 12–22),
// against a real service over HTTP.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import type { Json } from './helpers.js';

async function createSkill(service: TestService, name: string, template: string): Promise<Json> {
  const response = await service.rest('POST', '/skills', { name, description: 'd', prompt_template: template, metadata: { team: 'a' } });
  expect(response.status).toBe(200);
  return response.body as Json;
}

async function createSession(service: TestService): Promise<string> {
  const response = await service.rest('POST', '/sessions', {});
  expect(response.status).toBe(200);
  return (response.body as Json).session_id as string;
}

describe('skills (reference tests 18–22)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.dispose());

  it('creates, lists and gets a skill (18)', async () => {
    const skill = await createSkill(service, 'cohort_churn', 'Show churn by {dimension} for {period}.');
    expect(skill.latest_version).toBe(1);
    expect(skill.latest_required_params).toEqual(['dimension', 'period']);
    const listed = await service.rest('GET', '/skills');
    expect((listed.body as Json).skills.map((item: Json) => item.id)).toContain(skill.id);
    const fetched = await service.rest('GET', `/skills/${skill.id}`);
    expect((fetched.body as Json).latest_prompt_template).toBe('Show churn by {dimension} for {period}.');
  });

  it('versions a skill and runs version 2 (19)', async () => {
    const skill = await createSkill(service, 'versioned', 'Show churn by {dimension}.');
    const v2 = await service.rest('POST', `/skills/${skill.id}/versions`, { prompt_template: 'Summarize churn by {dimension} for {period}.' });
    expect((v2.body as Json).latest_version).toBe(2);
    const session = await createSession(service);
    const run = await service.rest('POST', `/skills/${skill.id}/run`, { session_id: session, version: 2, params: { dimension: 'cohort', period: 'Q1' } });
    expect(run.status).toBe(200);
    const body = run.body as Json;
    expect(body).toMatchObject({ status: 'completed', skill_version: 2, skill_id: skill.id, rendered_prompt: 'Summarize churn by cohort for Q1.' });
    const record = await service.rest('GET', `/runs/${body.run_id}`);
    expect((record.body as Json).prompt).toBe('Summarize churn by cohort for Q1.');
    const trace = await service.rest('GET', `/runs/${body.run_id}/trace`);
    expect((trace.body as Json).skill).toEqual({ skill_id: skill.id, skill_version: 2, params: { dimension: 'cohort', period: 'Q1' } });
  });

  it('refuses missing params, complex placeholders and version 0 (20–22)', async () => {
    const skill = await createSkill(service, 'needs-params', 'Show {metric}.');
    const session = await createSession(service);
    const missing = await service.rest('POST', `/skills/${skill.id}/run`, { session_id: session, params: {} });
    expect(missing.status).toBe(400);
    expect((missing.body as Json).detail).toContain('Missing required skill params');
    const complex = await service.rest('POST', '/skills', { name: 'complex', prompt_template: 'Show {payload.metric}.' });
    expect(complex.status).toBe(400);
    expect((complex.body as Json).detail).toContain('Unsupported placeholder');
    const zero = await service.rest('POST', `/skills/${skill.id}/run`, { session_id: session, version: 0, params: { metric: 'x' } });
    expect(zero.status).toBe(400);
    expect(zero.body).toEqual({ detail: 'Skill version must be >= 1.' });
  });
});

describe('schedules (reference tests 12–15)', () => {
  let service: TestService;
  let session: string;
  let skill: Json;
  beforeAll(async () => {
    service = await startTestService();
    session = await createSession(service);
    skill = await createSkill(service, 'kpi', 'Show churn by {dimension}.');
  });
  afterAll(() => service.dispose());

  it('creates, lists, pauses and resumes (12)', async () => {
    const created = await service.rest('POST', '/scheduled-runs', { name: 'daily-kpi', session_id: session, skill_id: skill.id, params: { dimension: 'cohort' } });
    expect(created.status).toBe(200);
    const schedule = created.body as Json;
    expect(schedule).toMatchObject({ status: 'active', name: 'daily-kpi', interval_seconds: 3600, skill_version: null, last_run_id: null });
    const listed = await service.rest('GET', '/scheduled-runs?status=active');
    expect((listed.body as Json).scheduled_runs.map((item: Json) => item.id)).toContain(schedule.id);
    expect(((await service.rest('POST', `/scheduled-runs/${schedule.id}/pause`)).body as Json).status).toBe('paused');
    expect(((await service.rest('POST', `/scheduled-runs/${schedule.id}/resume`)).body as Json).status).toBe('active');
  });

  it('triggers a run and updates the schedule (13)', async () => {
    const created = (await service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { dimension: 'cohort' } })).body as Json;
    const before = Date.now() / 1000;
    const triggered = await service.rest('POST', `/scheduled-runs/${created.id}/trigger`, { wait_for_completion: true });
    expect(triggered.status).toBe(200);
    const body = triggered.body as Json;
    expect(body).toMatchObject({ status: 'completed', rendered_prompt: 'Show churn by cohort.', schedule_id: created.id, skill_version: 1 });
    expect(body.schedule.last_run_id).toBe(body.run_id);
    expect(body.schedule.next_run_at).toBeGreaterThan(before);
    expect(((await service.rest('GET', `/runs/${body.run_id}`)).body as Json).prompt).toBe('Show churn by cohort.');
    const runs = await service.rest('GET', `/scheduled-runs/${created.id}/runs`);
    expect((runs.body as Json).runs.map((run: Json) => run.id)).toEqual([body.run_id]);
    const events = (await service.rest('GET', `/sessions/${session}/events`)).body as Json;
    const triggeredEvent = events.events.find((event: Json) => event.event_type === 'schedule_triggered' && event.run_id === body.run_id);
    expect(triggeredEvent.payload).toEqual({ schedule_id: created.id, skill_id: skill.id, skill_version: 1, mode: 'manual' });
    const empty = await service.rest('POST', `/scheduled-runs/${created.id}/trigger`);
    expect(empty.status).toBe(200);
  });

  it('refuses missing params and version 0 (14, 15)', async () => {
    const missing = await service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: {} });
    expect(missing.status).toBe(400);
    expect((missing.body as Json).detail).toContain('Missing required skill params');
    const zero = await service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, skill_version: 0, params: { dimension: 'x' } });
    expect(zero.body).toEqual({ detail: 'skill_version must be >= 1.' });
  });
});

describe('the automatic scheduler (reference tests 16, 17)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      env: { ANTON_SERVICE_SCHEDULER_ENABLED: 'true', ANTON_SERVICE_SCHEDULER_POLL_SECONDS: '0.1', ANTON_SERVICE_SCHEDULER_BATCH_SIZE: '1' },
    });
  });
  afterAll(() => service.dispose());

  it('fires a due schedule and leaves a future one alone (16, 17)', async () => {
    const session = await createSession(service);
    const skill = await createSkill(service, 'auto', 'Report {metric}.');
    const due = (await service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { metric: 'm' }, start_in_seconds: 1 })).body as Json;
    const future = (await service.rest('POST', '/scheduled-runs', { session_id: session, skill_id: skill.id, params: { metric: 'm' }, start_in_seconds: 3600 })).body as Json;
    const fired = await waitUntil(async () => {
      const current = (await service.rest('GET', `/scheduled-runs/${due.id}`)).body as Json;
      return current.last_run_id ? current : undefined;
    }, 7000, 'the due schedule to fire');
    const run = (await service.rest('GET', `/runs/${fired.last_run_id}`)).body as Json;
    expect(['queued', 'running', 'completed']).toContain(run.status);
    expect(fired.next_run_at).toBeCloseTo(due.next_run_at + 3600, 3);
    const events = (await service.rest('GET', `/sessions/${session}/events`)).body as Json;
    const automatic = events.events.find((event: Json) => event.event_type === 'schedule_triggered');
    expect(automatic.payload).toMatchObject({ mode: 'automatic', schedule_id: due.id, scheduled_for: due.next_run_at });
    expect(((await service.rest('GET', `/scheduled-runs/${future.id}`)).body as Json).last_run_id).toBeNull();
  });
});
