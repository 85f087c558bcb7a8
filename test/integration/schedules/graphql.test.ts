// Skills and schedules over /graphql: the same operations as REST (createSkill, addSkillVersion,
// runSkill, createSchedule, triggerSchedule, pauseSchedule, resumeSchedule; skill, skills,
// schedule, schedules), with errors carrying extensions.code BAD_USER_INPUT / NOT_FOUND / CONFLICT.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type GqlResponse, type TestService } from '../../kit/service.js';
import type { Json } from './helpers.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX12 = /^[0-9a-f]{12}$/;
const POSITIONAL = "Positional placeholders are not supported: use named placeholders like '{metric}'.";

const VERSION_FIELDS = 'version promptTemplate requiredParams createdAt';
const SKILL_FIELDS = `id name description latestVersion createdAt updatedAt metadata latest { ${VERSION_FIELDS} }`;
const SCHEDULE_FIELDS = `id name sessionId skillId skillVersion params intervalSeconds cron timezone overlapPolicy nextRunAt nextRunTimes
  status lastRunId lastRunAt createdAt updatedAt`;
const RUN_FIELDS = 'id sessionId status prompt response skillId skillVersion skillParams scheduleId';
const TURN_FIELDS = `runId status reply reused run { ${RUN_FIELDS} }`;

const CREATE_SKILL = `mutation ($input: CreateSkillInput!) { createSkill(input: $input) { ${SKILL_FIELDS} } }`;
const ADD_VERSION = `mutation ($id: ID!, $template: String!) { addSkillVersion(skillId: $id, promptTemplate: $template) { ${SKILL_FIELDS} } }`;
const RUN_SKILL = `mutation ($input: RunSkillInput!) { runSkill(input: $input) { skillId skillVersion renderedPrompt turn { ${TURN_FIELDS} } } }`;
const CREATE_SCHEDULE = `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { ${SCHEDULE_FIELDS} } }`;
const TRIGGER = `mutation ($input: TriggerScheduleInput!) { triggerSchedule(input: $input) {
  schedule { ${SCHEDULE_FIELDS} } skillId skillVersion renderedPrompt turn { ${TURN_FIELDS} } } }`;

const agent = new ScriptedAgent({ 'Hold graphql.': { steps: [{ block: true }, { reply: 'held' }] } });
let service: TestService;
let session: string;
let counter = 0;
const unique = (base: string): string => `${base}-${++counter}`;

/** The one error of a response: its message, code and path, and the data beside it. */
function oneError(response: GqlResponse<unknown>): { message: string; code: string | undefined; path: unknown } {
  expect(response.errors).toHaveLength(1);
  const [error] = response.errors!;
  return { message: error!.message, code: error!.extensions?.code, path: (error as { path?: unknown }).path };
}

async function createSkill(input: Json): Promise<Json> {
  return (await service.gql<{ createSkill: Json }>(CREATE_SKILL, { input })).data.createSkill;
}

async function createSchedule(input: Json): Promise<Json> {
  return (await service.gql<{ createSchedule: Json }>(CREATE_SCHEDULE, { input })).data.createSchedule;
}

beforeAll(async () => {
  service = await startTestService({ agent });
  session = (await service.gql<{ createSession: { id: string } }>('mutation { createSession(input: {}) { id } }')).data.createSession.id;
});
afterAll(async () => {
  agent.release();
  await service.dispose();
});

describe('skills', () => {
  test('createSkill stores version 1, trimmed, and skill() reads it back', async () => {
    const created = await createSkill({ name: '  gql churn ', description: ' d ', promptTemplate: ' Churn by {dim} for {period}. ', metadata: { owner: 'x' } });
    expect(created).toEqual({
      id: expect.stringMatching(HEX12),
      name: 'gql churn',
      description: 'd',
      latestVersion: 1,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      metadata: { owner: 'x' },
      latest: { version: 1, promptTemplate: 'Churn by {dim} for {period}.', requiredParams: ['dim', 'period'], createdAt: expect.stringMatching(ISO) },
    });
    const fetched = await service.gql<{ skill: Json }>(`query ($id: ID!) { skill(id: $id) { ${SKILL_FIELDS} } }`, { id: created.id });
    expect(fetched.data.skill).toEqual(created);
    const defaults = await createSkill({ name: unique('defaults'), promptTemplate: 'x' });
    expect({ description: defaults.description, metadata: defaults.metadata }).toEqual({ description: '', metadata: {} });
  });

  test('addSkillVersion, version(version:) and versions', async () => {
    const created = await createSkill({ name: unique('versions'), promptTemplate: 'V1 {a}.' });
    const added = (await service.gql<{ addSkillVersion: Json }>(ADD_VERSION, { id: created.id, template: ' V2 {b} {a}. ' })).data.addSkillVersion;
    expect(added).toMatchObject({ id: created.id, latestVersion: 2, latest: { version: 2, promptTemplate: 'V2 {b} {a}.', requiredParams: ['a', 'b'] } });
    expect(Date.parse(added.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    const read = await service.gql<{ skill: Json }>(`query ($id: ID!) { skill(id: $id) { version(version: 1) { ${VERSION_FIELDS} } versions { version promptTemplate } } }`, {
      id: created.id,
    });
    expect(read.data.skill).toEqual({
      version: created.latest,
      versions: [
        { version: 2, promptTemplate: 'V2 {b} {a}.' },
        { version: 1, promptTemplate: 'V1 {a}.' },
      ],
    });
  });

  test('skills: most recently updated first, paged with first/after', async () => {
    const a = await createSkill({ name: unique('page'), promptTemplate: 'a' });
    const b = await createSkill({ name: unique('page'), promptTemplate: 'b' });
    const query = 'query ($first: Int, $after: String) { skills(first: $first, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }';
    const first = (await service.gql<{ skills: Json }>(query, { first: 1 })).data.skills;
    expect(first.nodes).toEqual([{ id: b.id }]);
    expect(first.edges).toEqual([{ cursor: expect.any(String), node: { id: b.id } }]);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[0].cursor });
    const second = (await service.gql<{ skills: Json }>(query, { first: 1, after: first.pageInfo.endCursor })).data.skills;
    expect(second.nodes).toEqual([{ id: a.id }]);
    const all = (await service.gql<{ skills: Json }>(query, { first: 1000 })).data.skills;
    expect(all.pageInfo.hasNextPage).toBe(false);
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Json = (await service.gql<{ skills: Json }>(query, { first: 2, after })).data.skills;
      ids.push(...page.nodes.map((node: Json) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(ids).toEqual(all.nodes.map((node: Json) => node.id));
  });

  test('errors: BAD_USER_INPUT, CONFLICT and NOT_FOUND', async () => {
    const name = unique('dup');
    await createSkill({ name, promptTemplate: 'x' });
    const cases: Array<[string, Json, string, string]> = [
      [CREATE_SKILL, { input: { name: ` ${name} `, promptTemplate: 'y' } }, 'CONFLICT', `Skill name '${name}' already exists.`],
      [CREATE_SKILL, { input: { name: '  ', promptTemplate: 'y' } }, 'BAD_USER_INPUT', 'Skill name cannot be empty.'],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: ' ' } }, 'BAD_USER_INPUT', 'Skill prompt_template cannot be empty.'],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: '{}' } }, 'BAD_USER_INPUT', POSITIONAL],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: '{a.b}' } }, 'BAD_USER_INPUT', "Unsupported placeholder 'a.b'. Use simple names like '{metric}'."],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: '}' } }, 'BAD_USER_INPUT', "Single '}' encountered in format string"],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: 'x', metadata: [1] } }, 'BAD_USER_INPUT', 'metadata must be a JSON object.'],
      [CREATE_SKILL, { input: { name: unique('e'), promptTemplate: 'x', metadata: 'text' } }, 'BAD_USER_INPUT', 'metadata must be a JSON object.'],
      [ADD_VERSION, { id: 'nope', template: '{0}' }, 'NOT_FOUND', "Unknown skill_id 'nope'."],
      [ADD_VERSION, { id: 'nope', template: '' }, 'NOT_FOUND', "Unknown skill_id 'nope'."],
    ];
    for (const [query, variables, code, message] of cases) {
      const response = await service.gql(query, variables, { allowErrors: true });
      expect({ variables, ...oneError(response), data: response.data }).toEqual({ variables, message, code, path: [expect.any(String)], data: null });
    }
  });

  test('skill(id) of an unknown id is NOT_FOUND; an unknown or invalid version too, beside the skill', async () => {
    const missing = await service.gql<{ skill: Json | null }>('{ skill(id: "nope") { id } }', {}, { allowErrors: true });
    expect({ ...oneError(missing), data: missing.data }).toEqual({ message: "Unknown skill_id 'nope'.", code: 'NOT_FOUND', path: ['skill'], data: { skill: null } });
    const created = await createSkill({ name: unique('v'), promptTemplate: 'x' });
    const unknownVersion = await service.gql<{ skill: Json }>('query ($id: ID!) { skill(id: $id) { id version(version: 4) { version } } }', { id: created.id }, { allowErrors: true });
    expect({ ...oneError(unknownVersion), data: unknownVersion.data }).toEqual({
      message: `Unknown skill_id/version combination for '${created.id}'.`,
      code: 'NOT_FOUND',
      path: ['skill', 'version'],
      data: { skill: { id: created.id, version: null } },
    });
    const zero = await service.gql('query ($id: ID!) { skill(id: $id) { version(version: 0) { version } } }', { id: created.id }, { allowErrors: true });
    expect(oneError(zero)).toEqual({ message: 'Skill version must be >= 1.', code: 'BAD_USER_INPUT', path: ['skill', 'version'] });
  });

  test('runSkill renders and runs; the run records the skill', async () => {
    const skill = await createSkill({ name: unique('run'), promptTemplate: 'Show {metric!r} by {dim:>4}.' });
    const result = (
      await service.gql<{ runSkill: Json }>(RUN_SKILL, { input: { skillId: skill.id, sessionId: session, params: { metric: 'churn', dim: 'q', extra: 'x' }, idempotencyKey: 'gql-1' } })
    ).data.runSkill;
    const prompt = "Show 'churn' by    q.";
    expect(result).toEqual({
      skillId: skill.id,
      skillVersion: 1,
      renderedPrompt: prompt,
      turn: {
        runId: expect.stringMatching(HEX12),
        status: 'COMPLETED',
        reply: 'done',
        reused: false,
        run: {
          id: result.turn.runId,
          sessionId: session,
          status: 'COMPLETED',
          prompt,
          response: 'done',
          skillId: skill.id,
          skillVersion: 1,
          skillParams: expect.objectContaining({ metric: 'churn', dim: 'q' }),
          scheduleId: null,
        },
      },
    });
    const again = (await service.gql<{ runSkill: Json }>(RUN_SKILL, { input: { skillId: skill.id, sessionId: session, params: { metric: 'churn', dim: 'q' }, idempotencyKey: 'gql-1' } }))
      .data.runSkill;
    expect(again.turn).toMatchObject({ runId: result.turn.runId, reused: true });
    const trace = await service.gql<{ runTrace: Json }>('query ($id: ID!) { runTrace(runId: $id) { run { skillId skillVersion scheduleId } } }', { id: result.turn.runId });
    expect(trace.data.runTrace.run).toEqual({ skillId: skill.id, skillVersion: 1, scheduleId: null });
  });

  test('runSkill without waiting answers the running run', async () => {
    const skill = await createSkill({ name: unique('hold'), promptTemplate: 'Hold {x}.' });
    const result = (await service.gql<{ runSkill: Json }>(RUN_SKILL, { input: { skillId: skill.id, sessionId: session, params: { x: 'graphql' }, waitForCompletion: false } })).data
      .runSkill;
    expect(result.turn).toMatchObject({ status: 'RUNNING', reply: '', reused: false, run: { status: 'RUNNING', prompt: 'Hold graphql.' } });
    await waitUntil(() => (agent.started.some((input) => input.message === 'Hold graphql.') ? true : undefined), 10_000, 'the held run to start');
    agent.release();
    await waitUntil(
      async () => {
        const run = (await service.gql<{ run: Json }>('query ($id: ID!) { run(id: $id) { status } }', { id: result.turn.runId })).data.run;
        return run.status === 'COMPLETED' ? run : undefined;
      },
      10_000,
      'the held run to finish',
    );
  });

  test('runSkill errors', async () => {
    const skill = await createSkill({ name: unique('errs'), promptTemplate: 'Need {b} {a}.' });
    const cases: Array<[Json, string, string]> = [
      [{ skillId: skill.id, sessionId: session, params: { a: 1, b: 'x' } }, 'BAD_USER_INPUT', 'params must be an object whose values are strings.'],
      [{ skillId: skill.id, sessionId: session, params: ['a'] }, 'BAD_USER_INPUT', 'params must be an object whose values are strings.'],
      [{ skillId: skill.id, sessionId: session, params: 'a' }, 'BAD_USER_INPUT', 'params must be an object whose values are strings.'],
      [{ skillId: 'nope', sessionId: 'nope', version: 0 }, 'BAD_USER_INPUT', 'Skill version must be >= 1.'],
      [{ skillId: 'nope', sessionId: 'nope' }, 'NOT_FOUND', "Unknown skill_id/version combination for 'nope'."],
      [{ skillId: skill.id, sessionId: 'nope', version: 2 }, 'NOT_FOUND', `Unknown skill_id/version combination for '${skill.id}'.`],
      [{ skillId: skill.id, sessionId: 'nope' }, 'BAD_USER_INPUT', 'Missing required skill params: a, b'],
      [{ skillId: skill.id, sessionId: 'nope', params: { a: 'x', b: 'y' } }, 'NOT_FOUND', "Unknown session_id 'nope'."],
      [{ skillId: skill.id, sessionId: session, params: { a: 'x', b: 'y' }, waitTimeoutSeconds: -1 }, 'BAD_USER_INPUT', 'wait_timeout_seconds must be a number >= 0.'],
    ];
    for (const [input, code, message] of cases) {
      const response = await service.gql(RUN_SKILL, { input }, { allowErrors: true });
      expect({ input, ...oneError(response), data: response.data }).toEqual({ input, message, code, path: ['runSkill'], data: null });
    }
  });
});

describe('schedules', () => {
  let skill: Json;
  beforeAll(async () => {
    skill = await createSkill({ name: 'gql-kpi', promptTemplate: 'KPI {m}.' });
  });

  test('createSchedule: an interval schedule with the defaults', async () => {
    const schedule = await createSchedule({ sessionId: session, skillId: skill.id, params: { m: 'x' } });
    expect(schedule).toEqual({
      id: expect.stringMatching(HEX12),
      name: 'gql-kpi-every-3600s',
      sessionId: session,
      skillId: skill.id,
      skillVersion: null,
      params: { m: 'x' },
      intervalSeconds: 3600,
      cron: null,
      timezone: 'UTC',
      overlapPolicy: 'ALLOW',
      nextRunAt: expect.stringMatching(ISO),
      nextRunTimes: expect.any(Array),
      status: 'active',
      lastRunId: null,
      lastRunAt: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    const times = (schedule.nextRunTimes as string[]).map((time) => Date.parse(time));
    expect(times).toHaveLength(5);
    expect(times[0]).toBe(Date.parse(schedule.nextRunAt));
    times.forEach((time, index) => expect(time).toBe(times[0]! + index * 3_600_000));
  });

  test('createSchedule: cron, timezone, overlap policy, paused', async () => {
    const schedule = await createSchedule({
      sessionId: session,
      skillId: skill.id,
      params: { m: 'x' },
      cron: '15 6 * * *',
      timezone: 'Asia/Tokyo',
      overlapPolicy: 'skip',
      skillVersion: 1,
    });
    expect(schedule).toMatchObject({ name: 'gql-kpi-cron', intervalSeconds: null, cron: '15 6 * * *', timezone: 'Asia/Tokyo', overlapPolicy: 'SKIP', skillVersion: 1 });
    for (const time of schedule.nextRunTimes as string[]) {
      // 06:15 in Tokyo (UTC+9, no DST) is 21:15 UTC.
      expect(time).toMatch(/T21:15:00\.000Z$/);
    }
    const paused = await createSchedule({ sessionId: session, skillId: skill.id, params: { m: 'x' }, active: false, name: ' quiet ' });
    expect(paused).toMatchObject({ status: 'paused', nextRunTimes: [], name: 'quiet' });
  });

  test('createSchedule errors, in the REST order', async () => {
    const base = { sessionId: session, skillId: skill.id, params: { m: 'x' } };
    const cases: Array<[Json, string, string | RegExp]> = [
      [{ ...base, intervalSeconds: 0, startInSeconds: -1 }, 'BAD_USER_INPUT', 'interval_seconds must be >= 1.'],
      [{ ...base, startInSeconds: -1, skillVersion: 0 }, 'BAD_USER_INPUT', 'start_in_seconds must be >= 0.'],
      [{ ...base, skillVersion: 0, cron: 'bad' }, 'BAD_USER_INPUT', 'skill_version must be >= 1.'],
      [{ ...base, intervalSeconds: 60, cron: '* * * * *', sessionId: 'nope' }, 'BAD_USER_INPUT', 'Give either interval_seconds or cron, not both.'],
      [{ ...base, cron: '* * * * * * *' }, 'BAD_USER_INPUT', /^cron must have 5 fields .*got 7\.$/],
      [{ ...base, cron: '* * * * *', timezone: 'Atlantis/Capital' }, 'BAD_USER_INPUT', /^Unknown timezone 'Atlantis\/Capital': /],
      [{ ...base, timezone: 'Asia/Tokyo' }, 'BAD_USER_INPUT', 'timezone applies to cron schedules only.'],
      [{ ...base, sessionId: 'nope', skillId: 'nope' }, 'NOT_FOUND', "Unknown session_id 'nope'."],
      [{ ...base, skillId: 'nope' }, 'NOT_FOUND', "Unknown skill_id/version combination for 'nope'."],
      [{ ...base, params: {}, name: ' ' }, 'BAD_USER_INPUT', 'Missing required skill params: m'],
      [{ ...base, name: ' ' }, 'BAD_USER_INPUT', 'Schedule name cannot be empty.'],
      [{ ...base, params: { m: 1 } }, 'BAD_USER_INPUT', 'params must be an object whose values are strings.'],
    ];
    for (const [input, code, message] of cases) {
      const response = await service.gql(CREATE_SCHEDULE, { input }, { allowErrors: true });
      const error = oneError(response);
      expect({ input, code: error.code, path: error.path, data: response.data }).toEqual({ input, code, path: ['createSchedule'], data: null });
      expect({ input, message: error.message }).toEqual({ input, message: typeof message === 'string' ? message : expect.stringMatching(message) });
    }
  });

  test('triggerSchedule, schedule.runs and Run.scheduleId; pause and resume', async () => {
    const schedule = await createSchedule({ sessionId: session, skillId: skill.id, params: { m: 'x' }, startInSeconds: 3600, intervalSeconds: 120 });
    const triggered = (await service.gql<{ triggerSchedule: Json }>(TRIGGER, { input: { scheduleId: schedule.id, waitForCompletion: true } })).data.triggerSchedule;
    expect(triggered).toEqual({
      schedule: { ...schedule, lastRunId: triggered.turn.runId, lastRunAt: expect.stringMatching(ISO), updatedAt: expect.stringMatching(ISO) },
      skillId: skill.id,
      skillVersion: 1,
      renderedPrompt: 'KPI x.',
      turn: {
        runId: expect.stringMatching(HEX12),
        status: 'COMPLETED',
        reply: 'done',
        reused: false,
        run: {
          id: triggered.turn.runId,
          sessionId: session,
          status: 'COMPLETED',
          prompt: 'KPI x.',
          response: 'done',
          skillId: skill.id,
          skillVersion: 1,
          skillParams: { m: 'x' },
          scheduleId: schedule.id,
        },
      },
    });
    expect(triggered.schedule.nextRunAt).toBe(schedule.nextRunAt);

    const read = await service.gql<{ schedule: Json }>('query ($id: ID!) { schedule(id: $id) { lastRunId runs { nodes { id scheduleId } pageInfo { hasNextPage } } } }', { id: schedule.id });
    expect(read.data.schedule).toEqual({ lastRunId: triggered.turn.runId, runs: { nodes: [{ id: triggered.turn.runId, scheduleId: schedule.id }], pageInfo: { hasNextPage: false } } });

    const events = await service.gql<{ session: Json }>('query ($id: ID!) { session(id: $id) { events(limit: 500) { events { runId eventType payload } } } }', { id: session });
    expect(events.data.session.events.events.filter((event: Json) => event.eventType === 'schedule_triggered' && event.runId === triggered.turn.runId)).toEqual([
      { runId: triggered.turn.runId, eventType: 'schedule_triggered', payload: { schedule_id: schedule.id, skill_id: skill.id, skill_version: 1, mode: 'manual' } },
    ]);

    const paused = (await service.gql<{ pauseSchedule: Json }>(`mutation ($id: ID!) { pauseSchedule(id: $id) { ${SCHEDULE_FIELDS} } }`, { id: schedule.id })).data.pauseSchedule;
    expect(paused).toMatchObject({ status: 'paused', nextRunTimes: [], nextRunAt: schedule.nextRunAt });
    const whilePaused = (await service.gql<{ triggerSchedule: Json }>(TRIGGER, { input: { scheduleId: schedule.id } })).data.triggerSchedule;
    expect(['RUNNING', 'COMPLETED']).toContain(whilePaused.turn.status);
    expect(whilePaused.schedule).toMatchObject({ status: 'paused', lastRunId: whilePaused.turn.runId });
    const resumed = (await service.gql<{ resumeSchedule: Json }>(`mutation ($id: ID!) { resumeSchedule(id: $id) { ${SCHEDULE_FIELDS} } }`, { id: schedule.id })).data.resumeSchedule;
    expect(resumed).toMatchObject({ status: 'active', nextRunAt: schedule.nextRunAt, nextRunTimes: schedule.nextRunTimes });
  });

  test('schedules: status filter and paging', async () => {
    const a = await createSchedule({ sessionId: session, skillId: skill.id, params: { m: 'x' }, active: false });
    const b = await createSchedule({ sessionId: session, skillId: skill.id, params: { m: 'x' }, active: false });
    const query = 'query ($status: String, $first: Int, $after: String) { schedules(status: $status, first: $first, after: $after) { nodes { id status } pageInfo { hasNextPage endCursor } } }';
    const first = (await service.gql<{ schedules: Json }>(query, { status: 'paused', first: 1 })).data.schedules;
    expect(first.nodes).toEqual([{ id: b.id, status: 'paused' }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await service.gql<{ schedules: Json }>(query, { status: 'paused', first: 1, after: first.pageInfo.endCursor })).data.schedules;
    expect(second.nodes).toEqual([{ id: a.id, status: 'paused' }]);
    const active = (await service.gql<{ schedules: Json }>(query, { status: 'active', first: 1000 })).data.schedules;
    expect(active.nodes.every((node: Json) => node.status === 'active')).toBe(true);
    expect((await service.gql<{ schedules: Json }>(query, { status: 'bogus' })).data.schedules).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test('NOT_FOUND for unknown schedules', async () => {
    const cases: Array<[string, Json, string[]]> = [
      ['query ($id: ID!) { schedule(id: $id) { id } }', { id: 'nope' }, ['schedule']],
      [`mutation ($id: ID!) { pauseSchedule(id: $id) { id } }`, { id: 'nope' }, ['pauseSchedule']],
      [`mutation ($id: ID!) { resumeSchedule(id: $id) { id } }`, { id: 'nope' }, ['resumeSchedule']],
      [TRIGGER, { input: { scheduleId: 'nope' } }, ['triggerSchedule']],
    ];
    for (const [query, variables, path] of cases) {
      const response = await service.gql(query, variables, { allowErrors: true });
      expect(oneError(response)).toEqual({ path, message: "Unknown schedule_id 'nope'.", code: 'NOT_FOUND' });
    }
  });

  test('a trigger that cannot render is BAD_USER_INPUT and changes nothing', async () => {
    const moving = await createSkill({ name: unique('moving'), promptTemplate: 'A {a}.' });
    const schedule = await createSchedule({ sessionId: session, skillId: moving.id, params: { a: 'x' }, startInSeconds: 60 });
    await service.gql(ADD_VERSION, { id: moving.id, template: 'A {a} {b}.' });
    const response = await service.gql(TRIGGER, { input: { scheduleId: schedule.id } }, { allowErrors: true });
    expect(oneError(response)).toEqual({ message: 'Missing required skill params: b', code: 'BAD_USER_INPUT', path: ['triggerSchedule'] });
    const after = await service.gql<{ schedule: Json }>(`query ($id: ID!) { schedule(id: $id) { ${SCHEDULE_FIELDS} } }`, { id: schedule.id });
    expect(after.data.schedule).toEqual(schedule);
  });
});
