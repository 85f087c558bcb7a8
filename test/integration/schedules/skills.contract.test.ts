// The REST contract of skills (prompt templates): POST/GET /skills, GET /skills/{id}[?version=N],
// GET/POST /skills/{id}/versions and POST /skills/{id}/run, with exact shapes and error texts
// (reference-behaviour.md §1 and §7, decisions.md items 1 and 9, and the implementer's additions).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import {
  anyEpoch,
  anyId,
  api,
  createSession,
  detail,
  doneRun,
  expectRecentEpoch,
  HEX12,
  issue,
  MSG,
  runRecord,
  waitForFinished,
  type Api,
  type RunBody,
} from '../rest/contract.js';
import { documentedRoutes, type Json } from './helpers.js';


const POSITIONAL = "Positional placeholders are not supported: use named placeholders like '{metric}'.";
const unsupported = (field: string): string => `Unsupported placeholder '${field}'. Use simple names like '{metric}'.`;

/** Runs whose rendered prompt is `Hold {tag}.` block until released. */
const agent = new ScriptedAgent({
  'Hold the line.': { steps: [{ block: true }, { reply: 'held' }], usage: { inputTokens: 3, outputTokens: 2 } },
});

let service: TestService;
let client: Api;
let session: string;
let counter = 0;

/** A name no other test uses. */
const unique = (base: string): string => `${base}-${++counter}`;

async function createSkill(body: Json): Promise<Json> {
  return client.post<Json>('/skills', body);
}

async function skillWith(template: string, extra: Json = {}): Promise<Json> {
  return createSkill({ name: unique('skill'), prompt_template: template, ...extra });
}

/** POST /skills/{id}/run → { status, body }. */
async function runSkill(skillId: string, body: Json): Promise<{ status: number; body: Json }> {
  const response = await client.call('POST', `/skills/${encodeURIComponent(skillId)}/run`, body);
  return { status: response.status, body: response.body as Json };
}

/** Skill (full): the reference's ten fields and nothing else. */
function fullSkill(fields: Json): Json {
  return {
    id: expect.stringMatching(HEX12),
    description: '',
    latest_version: 1,
    created_at: anyEpoch(),
    updated_at: anyEpoch(),
    metadata: {},
    latest_required_params: [],
    latest_version_created_at: anyEpoch(),
    ...fields,
  };
}

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
  session = await createSession(client, {});
});
afterAll(async () => {
  agent.release();
  await service.dispose();
});

describe('POST /skills', () => {
  test('creates version 1 and answers the full skill, trimmed', async () => {
    const response = await client.call('POST', '/skills', {
      name: '  cohort churn \n',
      description: '\t Churn by cohort. ',
      prompt_template: '\n  Show churn by {dimension} for {period}. \n',
      metadata: { team: 'growth', tags: ['a', 'b'], nested: { n: 1 } },
    });
    expect(response.status).toBe(200);
    const skill = response.body as Json;
    expect(skill).toEqual(
      fullSkill({
        name: 'cohort churn',
        description: 'Churn by cohort.',
        metadata: { team: 'growth', tags: ['a', 'b'], nested: { n: 1 } },
        latest_prompt_template: 'Show churn by {dimension} for {period}.',
        latest_required_params: ['dimension', 'period'],
      }),
    );
    expectRecentEpoch(skill.created_at);
    expect(skill.updated_at).toBe(skill.created_at);
    expect(Math.abs(skill.latest_version_created_at - skill.created_at)).toBeLessThan(1);
    expect(await client.get(`/skills/${skill.id}`)).toEqual(skill);
  });

  test('description defaults to "" and metadata null or absent to {}', async () => {
    const absent = await createSkill({ name: unique('defaults'), prompt_template: 'Plain prompt.' });
    expect(absent).toEqual(fullSkill({ name: absent.name, latest_prompt_template: 'Plain prompt.' }));
    const nulled = await createSkill({ name: unique('defaults'), prompt_template: 'Plain prompt.', metadata: null });
    expect(nulled.metadata).toEqual({});
  });

  test.each<[string, string[]]>([
    ['Show {b} then {a}, {b} and { a } again.', ['a', 'b']],
    ['{{literal}} {x} {{y}}', ['x']],
    ['{a!r} {b:>5} {c!a:*^9} {d!s}', ['a', 'b', 'c', 'd']],
    ['{zeta}{Alpha}{alpha}', ['Alpha', 'alpha', 'zeta']],
    ['{a:{b}}', ['a']],
    ['No placeholders at all.', []],
  ])('%j requires %j (sorted, de-duplicated, trimmed)', async (template, params) => {
    const skill = await skillWith(template);
    expect(skill.latest_required_params).toEqual(params);
    expect(skill.latest_prompt_template).toBe(template);
  });

  test.each<[string, string]>([
    ['Summarize {payload.metric}.', unsupported('payload.metric')],
    ['{x[0]}', unsupported('x[0]')],
    ['{ a.b }', unsupported('a.b')],
    ['{}', POSITIONAL],
    ['{0}', POSITIONAL],
    ['x {} y {name}', POSITIONAL],
    ['{!r}', POSITIONAL],
    ['{a:{}}', POSITIONAL],
    ['{', "Single '{' encountered in format string"],
    ['}', "Single '}' encountered in format string"],
    ['a } b {c}', "Single '}' encountered in format string"],
    ['ok {a} then {', "Single '{' encountered in format string"],
    ['{a', "expected '}' before end of string"],
    ['{a!', 'end of string while looking for conversion specifier'],
    ['{a!rr}', "expected ':' after conversion specifier"],
    ['{a:', "unmatched '{' in format spec"],
    ['{a{b}', "unexpected '{' in field name"],
  ])('refuses the template %j: 400 %j', async (template, message) => {
    const response = await client.call('POST', '/skills', { name: unique('bad'), prompt_template: template });
    expect({ status: response.status, body: response.body }).toEqual({ status: 400, body: detail(message) });
  });

  test('checks the name, then the template, then its placeholders', async () => {
    const cases: Array<[Json, string]> = [
      [{ name: '  \n', prompt_template: '   ' }, 'Skill name cannot be empty.'],
      [{ name: '', prompt_template: '{' }, 'Skill name cannot be empty.'],
      [{ name: unique('ok'), prompt_template: ' \n\t ' }, 'Skill prompt_template cannot be empty.'],
      [{ name: unique('ok'), prompt_template: '' }, 'Skill prompt_template cannot be empty.'],
      // A failing template is refused before the duplicate name is noticed.
      [{ name: 'dup-order', prompt_template: '{0}' }, POSITIONAL],
    ];
    await createSkill({ name: 'dup-order', prompt_template: 'x' });
    for (const [body, message] of cases) {
      const response = await client.call('POST', '/skills', body);
      expect({ body, status: response.status, detail: response.body }).toEqual({ body, status: 400, detail: detail(message) });
    }
  });

  test('a duplicate name is 409, also after trimming, and creates nothing', async () => {
    const first = await createSkill({ name: 'weekly kpi', prompt_template: 'A.' });
    const again = await client.call('POST', '/skills', { name: 'weekly kpi', prompt_template: 'B.' });
    expect({ status: again.status, body: again.body }).toEqual({ status: 409, body: detail("Skill name 'weekly kpi' already exists.") });
    const padded = await client.call('POST', '/skills', { name: '  weekly kpi\t', prompt_template: 'C.' });
    expect({ status: padded.status, body: padded.body }).toEqual({ status: 409, body: detail("Skill name 'weekly kpi' already exists.") });
    // Names are compared exactly otherwise.
    const other = await client.call('POST', '/skills', { name: 'Weekly KPI', prompt_template: 'D.' });
    expect(other.status).toBe(200);
    const listed = await client.get<{ skills: Json[] }>('/skills?limit=1000');
    expect(listed.skills.filter((skill) => skill.name === 'weekly kpi').map((skill) => skill.id)).toEqual([first.id]);
  });

  test('422 in the FastAPI shape', async () => {
    const noBody = await client.call('POST', '/skills');
    expect({ status: noBody.status, body: noBody.body }).toEqual({ status: 422, body: { detail: [issue('missing', ['body'], MSG.missing, null)] } });
    const empty = await client.call('POST', '/skills', {});
    expect({ status: empty.status, body: empty.body }).toEqual({
      status: 422,
      body: { detail: [issue('missing', ['body', 'name'], MSG.missing, {}), issue('missing', ['body', 'prompt_template'], MSG.missing, {})] },
    });
    const wrongTypes = await client.call('POST', '/skills', { name: 5, prompt_template: 'x', description: null, metadata: [1] });
    expect({ status: wrongTypes.status, body: wrongTypes.body }).toEqual({
      status: 422,
      body: {
        detail: [
          issue('string_type', ['body', 'name'], MSG.string_type, 5),
          issue('string_type', ['body', 'description'], MSG.string_type, null),
          issue('dict_type', ['body', 'metadata'], MSG.dict_type, [1]),
        ],
      },
    });
  });
});

describe('GET /skills', () => {
  const ids: string[] = [];

  test('list items carry the first seven fields, most recently updated first', async () => {
    const listed = await client.get<{ skills: Json[]; next_cursor: string | null }>('/skills?limit=1000');
    expect(listed.next_cursor).toBeNull();
    for (const item of listed.skills) {
      expect(Object.keys(item).sort()).toEqual(['created_at', 'description', 'id', 'latest_version', 'metadata', 'name', 'updated_at']);
    }
    const updated = listed.skills.map((item) => item.updated_at as number);
    expect(updated).toEqual([...updated].sort((a, b) => b - a));

    const older = await skillWith('Older {x}.');
    const newer = await skillWith('Newer {x}.');
    ids.push(older.id, newer.id);
    let top = await client.get<{ skills: Json[] }>('/skills?limit=2');
    expect(top.skills.map((item) => item.id)).toEqual([newer.id, older.id]);
    expect(top.skills[0]).toEqual({
      id: newer.id,
      name: newer.name,
      description: '',
      latest_version: 1,
      created_at: newer.created_at,
      updated_at: newer.updated_at,
      metadata: {},
    });
    // A new version makes a skill the most recently updated.
    await client.post(`/skills/${older.id}/versions`, { prompt_template: 'Older v2 {x}.' });
    top = await client.get<{ skills: Json[] }>('/skills?limit=2');
    expect(top.skills.map((item) => [item.id, item.latest_version])).toEqual([
      [older.id, 2],
      [newer.id, 1],
    ]);
  });

  test('pages with limit, next_cursor and after', async () => {
    for (let index = 0; index < 3; index += 1) ids.push((await skillWith(`Paged ${index}.`)).id);
    const all = await client.get<{ skills: Json[]; next_cursor: string | null }>('/skills?limit=1000');
    const expected = all.skills.map((item) => item.id);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const query: string = after === null ? '/skills?limit=2' : `/skills?limit=2&after=${encodeURIComponent(after)}`;
      const page: { skills: Json[]; next_cursor: string | null } = await client.get(query);
      expect(page.skills.length).toBeLessThanOrEqual(2);
      seen.push(...page.skills.map((item) => item.id as string));
      after = page.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(1000);
    } while (after !== null);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  test('limit is clamped to at least 1; bad values are 422 or 400', async () => {
    for (const limit of ['0', '-3']) {
      const page = await client.get<{ skills: Json[]; next_cursor: string | null }>(`/skills?limit=${limit}`);
      expect(page.skills).toHaveLength(1);
      expect(page.next_cursor).toEqual(expect.any(String));
    }
    const notInt = await client.call('GET', '/skills?limit=abc');
    expect({ status: notInt.status, body: notInt.body }).toEqual({ status: 422, body: { detail: [issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'abc')] } });
    const badCursor = await client.call('GET', '/skills?after=nope');
    expect({ status: badCursor.status, body: badCursor.body }).toEqual({ status: 400, body: detail("Invalid cursor 'nope'.") });
  });
});

describe('GET /skills/{skill_id}', () => {
  let skill: Json;
  let v1: Json;
  let v2: Json;
  beforeAll(async () => {
    v1 = await createSkill({ name: unique('versions'), description: 'd', prompt_template: 'First {a}.', metadata: { k: 'v' } });
    v2 = await client.post<Json>(`/skills/${v1.id}/versions`, { prompt_template: 'Second {b} {a}.' });
    skill = v2;
  });

  test('answers the latest version', async () => {
    expect(await client.get(`/skills/${skill.id}`)).toEqual(
      fullSkill({
        id: skill.id,
        name: v1.name,
        description: 'd',
        metadata: { k: 'v' },
        latest_version: 2,
        created_at: v1.created_at,
        updated_at: v2.updated_at,
        latest_prompt_template: 'Second {b} {a}.',
        latest_required_params: ['a', 'b'],
        latest_version_created_at: v2.latest_version_created_at,
      }),
    );
  });

  test('?version=N adds that version beside the latest', async () => {
    const first = await client.get<Json>(`/skills/${skill.id}?version=1`);
    expect(first).toEqual({
      ...(await client.get<Json>(`/skills/${skill.id}`)),
      version: 1,
      prompt_template: 'First {a}.',
      required_params: ['a'],
      version_created_at: v1.latest_version_created_at,
    });
    const second = await client.get<Json>(`/skills/${skill.id}?version=2`);
    expect(second).toMatchObject({ version: 2, prompt_template: 'Second {b} {a}.', required_params: ['a', 'b'], version_created_at: v2.latest_version_created_at });
  });

  test('errors: unknown skill, unknown version, version < 1, not an integer', async () => {
    const cases: Array<[string, number, unknown]> = [
      ['/skills/nope', 404, detail("Unknown skill_id 'nope'.")],
      ['/skills/nope?version=1', 404, detail("Unknown skill_id 'nope'.")],
      [`/skills/${skill.id}?version=3`, 404, detail(`Unknown skill_id/version combination for '${skill.id}'.`)],
      [`/skills/${skill.id}?version=0`, 400, detail('Skill version must be >= 1.')],
      [`/skills/${skill.id}?version=-1`, 400, detail('Skill version must be >= 1.')],
      [`/skills/${skill.id}?version=abc`, 422, { detail: [issue('int_parsing', ['query', 'version'], MSG.int_parsing, 'abc')] }],
    ];
    for (const [path, status, body] of cases) {
      const response = await client.call('GET', path);
      expect({ path, status: response.status, body: response.body }).toEqual({ path, status, body });
    }
  });
});

describe('versions', () => {
  test('POST /skills/{id}/versions appends version latest + 1, trimmed; name, description and metadata stay', async () => {
    const created = await createSkill({ name: unique('grow'), description: 'keeps', prompt_template: 'One {a}.', metadata: { m: 1 } });
    const second = await client.post<Json>(`/skills/${created.id}/versions`, { prompt_template: '  Two {b} and {a}.\n' });
    expect(second).toEqual(
      fullSkill({
        id: created.id,
        name: created.name,
        description: 'keeps',
        metadata: { m: 1 },
        latest_version: 2,
        created_at: created.created_at,
        latest_prompt_template: 'Two {b} and {a}.',
        latest_required_params: ['a', 'b'],
      }),
    );
    expect(second.updated_at).toBeGreaterThan(created.updated_at);
    expect(second.latest_version_created_at).toBeGreaterThan(created.latest_version_created_at);
    const third = await client.post<Json>(`/skills/${created.id}/versions`, { prompt_template: 'Three.' });
    expect(third).toMatchObject({ latest_version: 3, latest_prompt_template: 'Three.', latest_required_params: [] });
  });

  test('GET /skills/{id}/versions lists every version, newest first', async () => {
    const created = await createSkill({ name: unique('listed'), prompt_template: 'V1 {a}.' });
    const v2 = await client.post<Json>(`/skills/${created.id}/versions`, { prompt_template: 'V2 {b}.' });
    const v3 = await client.post<Json>(`/skills/${created.id}/versions`, { prompt_template: 'V3 {c} {a}.' });
    expect(await client.get(`/skills/${created.id}/versions`)).toEqual({
      skill_id: created.id,
      versions: [
        { version: 3, prompt_template: 'V3 {c} {a}.', required_params: ['a', 'c'], created_at: v3.latest_version_created_at },
        { version: 2, prompt_template: 'V2 {b}.', required_params: ['b'], created_at: v2.latest_version_created_at },
        { version: 1, prompt_template: 'V1 {a}.', required_params: ['a'], created_at: created.latest_version_created_at },
      ],
    });
    const unknown = await client.call('GET', '/skills/nope/versions');
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: detail("Unknown skill_id 'nope'.") });
  });

  test('a bad new template is 400 and adds nothing', async () => {
    const created = await skillWith('Keep {a}.');
    const cases: Array<[string, string]> = [
      ['  ', 'Skill prompt_template cannot be empty.'],
      ['{}', POSITIONAL],
      ['{0}', POSITIONAL],
      ['{a.b}', unsupported('a.b')],
      ['{a', "expected '}' before end of string"],
    ];
    for (const [template, message] of cases) {
      const response = await client.call('POST', `/skills/${created.id}/versions`, { prompt_template: template });
      expect({ template, status: response.status, body: response.body }).toEqual({ template, status: 400, body: detail(message) });
    }
    expect(await client.get(`/skills/${created.id}`)).toEqual(created);
  });

  test('decision 9: an unknown skill is 404 whatever the template', async () => {
    for (const template of ['Fine {a}.', '{}', '{0}', '{', '   ', '{a.b}']) {
      const response = await client.call('POST', '/skills/nope/versions', { prompt_template: template });
      expect({ template, status: response.status, body: response.body }).toEqual({ template, status: 404, body: detail("Unknown skill_id 'nope'.") });
    }
  });

  test('422 without a template', async () => {
    const created = await skillWith('x');
    const response = await client.call('POST', `/skills/${created.id}/versions`, {});
    expect({ status: response.status, body: response.body }).toEqual({
      status: 422,
      body: { detail: [issue('missing', ['body', 'prompt_template'], MSG.missing, {})] },
    });
    const noBody = await client.call('POST', `/skills/${created.id}/versions`);
    expect(noBody.status).toBe(422);
  });
});

describe('POST /skills/{skill_id}/run', () => {
  test('renders, runs and answers the skill fields plus the turn result', async () => {
    const skill = await skillWith('Show churn by {dimension} for {period}.');
    const { status, body } = await runSkill(skill.id, { session_id: session, params: { period: 'Q1', dimension: 'cohort', extra: 'ignored' } });
    expect(status).toBe(200);
    const prompt = 'Show churn by cohort for Q1.';
    expect(body).toEqual({
      skill_id: skill.id,
      skill_version: 1,
      rendered_prompt: prompt,
      run_id: expect.stringMatching(HEX12),
      status: 'completed',
      reply: 'done',
      error: null,
      pending_approval_ids: [],
      total_tokens: 15,
      tool_calls: 0,
      run: doneRun(body.run_id, session, prompt),
      reused: false,
    });
    expect(await client.get(`/runs/${body.run_id}`)).toEqual(body.run);
    const trace = await client.get<Json>(`/runs/${body.run_id}/trace`);
    expect(trace.skill).toEqual({ skill_id: skill.id, skill_version: 1, params: expect.objectContaining({ period: 'Q1', dimension: 'cohort' }) });
    expect(trace.schedule_id).toBeNull();
    expect(trace.run.prompt).toBe(prompt);
  });

  test('a run from a plain turn has no skill in its trace', async () => {
    const turned = await client.post<Json>(`/sessions/${session}/turn`, { message: 'plain' });
    const trace = await client.get<Json>(`/runs/${turned.run_id}/trace`);
    expect({ skill: trace.skill, schedule_id: trace.schedule_id }).toEqual({ skill: null, schedule_id: null });
  });

  test('version: null means the latest; a pinned version renders that version', async () => {
    const skill = await skillWith('V1 {a}.');
    await client.post(`/skills/${skill.id}/versions`, { prompt_template: 'V2 {a} {b}.' });
    const latest = await runSkill(skill.id, { session_id: session, params: { a: 'x', b: 'y' }, version: null });
    expect(latest.body).toMatchObject({ skill_version: 2, rendered_prompt: 'V2 x y.' });
    const pinned = await runSkill(skill.id, { session_id: session, params: { a: 'x' }, version: 1 });
    expect(pinned.body).toMatchObject({ skill_version: 1, rendered_prompt: 'V1 x.', status: 'completed' });
    // Coerced like pydantic: "1" is an int.
    const coerced = await runSkill(skill.id, { session_id: session, params: { a: 'x' }, version: '1' });
    expect(coerced.body).toMatchObject({ skill_version: 1 });
    const trace = await client.get<Json>(`/runs/${pinned.body.run_id}/trace`);
    expect(trace.skill).toEqual({ skill_id: skill.id, skill_version: 1, params: { a: 'x' } });
  });

  test('checks in order: version < 1, skill/version, render, then session (no stray quotes)', async () => {
    const skill = await skillWith('Need {zeta}, {alpha} and {mid}.');
    const cases: Array<[string, Json, number, string]> = [
      ['nope', { session_id: 'nope', version: 0 }, 400, 'Skill version must be >= 1.'],
      [skill.id, { session_id: 'nope', version: -2 }, 400, 'Skill version must be >= 1.'],
      ['nope', { session_id: 'nope', params: {} }, 404, "Unknown skill_id/version combination for 'nope'."],
      [skill.id, { session_id: 'nope', version: 9, params: {} }, 404, `Unknown skill_id/version combination for '${skill.id}'.`],
      [skill.id, { session_id: 'nope', params: { mid: 'm' } }, 400, 'Missing required skill params: alpha, zeta'],
      [skill.id, { session_id: 'nope' }, 400, 'Missing required skill params: alpha, mid, zeta'],
      [skill.id, { session_id: 'nope', params: null }, 400, 'Missing required skill params: alpha, mid, zeta'],
      [skill.id, { session_id: 'nope', params: { alpha: 'a', mid: 'm', zeta: 'z' } }, 404, "Unknown session_id 'nope'."],
    ];
    for (const [skillId, body, status, message] of cases) {
      const response = await runSkill(skillId, body);
      expect({ skillId, body, status: response.status, detail: response.body }).toEqual({ skillId, body, status, detail: detail(message) });
    }
  });

  test('params must be strings (422); extra params are ignored', async () => {
    const skill = await skillWith('Show {a}.');
    const numeric = await runSkill(skill.id, { session_id: session, params: { a: 1 } });
    expect(numeric).toEqual({ status: 422, body: { detail: [issue('string_type', ['body', 'params', 'a'], MSG.string_type, 1)] } });
    const several = await runSkill(skill.id, { session_id: session, params: { a: 'ok', b: true, c: null } });
    expect(several).toEqual({
      status: 422,
      body: { detail: [issue('string_type', ['body', 'params', 'b'], MSG.string_type, true), issue('string_type', ['body', 'params', 'c'], MSG.string_type, null)] },
    });
    const list = await runSkill(skill.id, { session_id: session, params: ['a'] });
    expect(list).toEqual({ status: 422, body: { detail: [issue('dict_type', ['body', 'params'], MSG.dict_type, ['a'])] } });
    const missing = await runSkill(skill.id, { params: { a: 'x' } });
    expect(missing).toEqual({ status: 422, body: { detail: [issue('missing', ['body', 'session_id'], MSG.missing, { params: { a: 'x' } })] } });
    const fraction = await runSkill(skill.id, { session_id: session, params: { a: 'x' }, version: 1.5 });
    expect(fraction.status).toBe(422);
    expect(fraction.body.detail).toEqual([expect.objectContaining({ type: 'int_from_float', loc: ['body', 'version'], input: 1.5 })]);
    const extra = await runSkill(skill.id, { session_id: session, params: { a: 'x', unused: 'y' } });
    expect(extra.body).toMatchObject({ rendered_prompt: 'Show x.', status: 'completed' });
  });

  test('the same idempotency key returns the same run (reused), a new key a new run', async () => {
    const skill = await skillWith('Idempotent {a}.');
    const ownSession = await createSession(client, {});
    const first = await runSkill(skill.id, { session_id: ownSession, params: { a: '1' }, idempotency_key: 'k-1' });
    expect(first.body).toMatchObject({ status: 'completed', reused: false, rendered_prompt: 'Idempotent 1.' });
    const again = await runSkill(skill.id, { session_id: ownSession, params: { a: '1' }, idempotency_key: 'k-1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, reused: true, tool_calls: 0, run: await client.get(`/runs/${first.body.run_id}`) });
    const other = await runSkill(skill.id, { session_id: ownSession, params: { a: '1' }, idempotency_key: 'k-2' });
    expect(other.body.run_id).not.toBe(first.body.run_id);
    expect(other.body.reused).toBe(false);
    const runs = await client.get<{ runs: Json[] }>(`/sessions/${ownSession}/runs`);
    expect(runs.runs.map((run) => run.id)).toEqual([other.body.run_id, first.body.run_id]);
  });

  test('wait_for_completion: false answers at once with the running run', async () => {
    const skill = await skillWith('Hold {what}.');
    const ownSession = await createSession(client, {});
    const { status, body } = await runSkill(skill.id, { session_id: ownSession, params: { what: 'the line' }, wait_for_completion: false });
    expect(status).toBe(200);
    expect(body).toEqual({
      skill_id: skill.id,
      skill_version: 1,
      rendered_prompt: 'Hold the line.',
      run_id: expect.stringMatching(HEX12),
      status: 'running',
      reply: '',
      error: null,
      pending_approval_ids: [],
      total_tokens: 0,
      tool_calls: 0,
      run: runRecord({ id: body.run_id, session_id: ownSession, status: 'running', prompt: 'Hold the line.' }),
      reused: false,
    });
    // The block step registers synchronously when the run starts: release it once it has.
    await waitUntil(() => (agent.started.some((input) => input.message === 'Hold the line.') ? true : undefined), 10_000, 'the held run to start');
    agent.release();
    const finished: RunBody = await waitForFinished(client, body.run_id as string);
    expect(finished).toMatchObject({ status: 'completed', response: 'held', total_tokens: 5 });
  });

  test('a version beyond 32 bits is an unknown version (404), as in the reference, not a GraphQL coercion error', async () => {
    const skill = await skillWith('Big {a}.');
    const unknown = detail(`Unknown skill_id/version combination for '${skill.id}'.`);
    expect(await runSkill(skill.id, { session_id: session, params: { a: 'x' }, version: 2 ** 31 })).toEqual({ status: 404, body: unknown });
    const fetched = await client.call('GET', `/skills/${skill.id}?version=${2 ** 31}`);
    expect({ status: fetched.status, body: fetched.body }).toEqual({ status: 404, body: unknown });
  });

  test('wait_timeout_seconds below 0 is 400', async () => {
    const skill = await skillWith('Timeout {a}.');
    const response = await runSkill(skill.id, { session_id: session, params: { a: 'x' }, wait_timeout_seconds: -1 });
    expect(response).toEqual({ status: 400, body: detail('wait_timeout_seconds must be a number >= 0.') });
  });
});

describe('template rendering through POST /skills/{id}/run', () => {
  test.each<[string, Record<string, string>, string]>([
    ['{{a}} = {a}', { a: 'x' }, '{a} = x'],
    ['}}{{ {a}', { a: 'x' }, '}{ x'],
    ['{{{a}}}', { a: 'x' }, '{x}'],
    ['{a!r}', { a: 'x' }, "'x'"],
    ['{a!r}', { a: "it's" }, `"it's"`],
    ['{a!s}', { a: 'x y' }, 'x y'],
    ['{a!a}', { a: 'caf\u00e9' }, "'caf\\xe9'"],
    ['[{a:>5}]', { a: 'x' }, '[    x]'],
    ['[{a:*^9}]', { a: 'x' }, '[****x****]'],
    ['[{a:.2}]', { a: 'abc' }, '[ab]'],
    ['[{a:<6.3}]', { a: 'abcdef' }, '[abc   ]'],
    ['[{a:^6}]', { a: 'x' }, '[  x   ]'],
    ['[{a!r:>5}]', { a: 'x' }, "[  'x']"],
    ['[{a:{b}}]', { a: 'x', b: '>3' }, '[  x]'],
    ['{a}{a}{b}', { a: '1', b: '2' }, '112'],
    ['Keep   {a}  spacing', { a: ' v ' }, 'Keep    v   spacing'],
  ])('%j with %j renders %j', async (template, params, rendered) => {
    const skill = await skillWith(template);
    const { status, body } = await runSkill(skill.id, { session_id: session, params, wait_for_completion: false });
    expect({ status, rendered: body.rendered_prompt, prompt: body.run?.prompt }).toEqual({ status: 200, rendered, prompt: rendered });
  });

  test.each<[string, Record<string, string>, string]>([
    ['{a}', { a: '' }, 'Rendered skill prompt is empty.'],
    ['  {a} ', { a: ' \n\t ' }, 'Rendered skill prompt is empty.'],
    ['{a:.0}', { a: 'abc' }, 'Rendered skill prompt is empty.'],
    ['{a!x}', { a: 'x' }, 'Unknown conversion specifier x'],
    ['{a:d}', { a: 'x' }, "Unknown format code 'd' for object of type 'str'"],
    ['{a:+}', { a: 'x' }, 'Sign not allowed in string format specifier'],
    ['{a:=5}', { a: 'x' }, "'=' alignment not allowed in string format specifier"],
    ['{ metric }', { metric: 'churn' }, 'Missing required skill param:  metric '],
    ['{a:{b}}', { a: 'x' }, 'Missing required skill param: b'],
  ])('%j with %j is 400 %j, and no run is created', async (template, params, message) => {
    const skill = await skillWith(template);
    const ownSession = await createSession(client, {});
    const response = await runSkill(skill.id, { session_id: ownSession, params });
    expect(response).toEqual({ status: 400, body: detail(message) });
    expect((await client.get<{ runs: Json[] }>(`/sessions/${ownSession}/runs`)).runs).toEqual([]);
  });

  test('a template with no placeholders runs without params', async () => {
    const skill = await skillWith('Just {{braces}}.');
    const response = await runSkill(skill.id, { session_id: session });
    expect(response.body).toMatchObject({ status: 'completed', rendered_prompt: 'Just {braces}.', run: { prompt: 'Just {braces}.', id: anyId() } });
  });
});

describe('OpenAPI', () => {
  test('GET /openapi.json lists every skills route', async () => {
    const documented = await documentedRoutes((path) => client.get(path), '/skills');
    expect(documented).toEqual(
      [
        'get /skills',
        'get /skills/{skill_id}',
        'get /skills/{skill_id}/versions',
        'post /skills',
        'post /skills/{skill_id}/run',
        'post /skills/{skill_id}/versions',
      ].sort(),
    );
  });

  test('the skills routes document their query parameters, errors and the ?version=N fields', async () => {
    interface Operation {
      parameters?: Array<{ name: string; in: string; schema: { default?: unknown } }>;
      responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }>;
    }
    const doc = await client.get<{ paths: Record<string, Record<string, Operation>> }>('/openapi.json');
    const query = (path: string): Json =>
      Object.fromEntries((doc.paths[path]!.get!.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema.default]));
    expect(query('/skills')).toEqual({ limit: 200, after: null });
    expect(query('/skills/{skill_id}')).toEqual({ version: null });
    const responses = (method: string, path: string): string[] => Object.keys(doc.paths[path]![method]!.responses);
    expect(responses('post', '/skills')).toEqual(expect.arrayContaining(['200', '400', '409', '422']));
    expect(responses('post', '/skills/{skill_id}/versions')).toEqual(expect.arrayContaining(['200', '400', '404', '422']));
    expect(responses('post', '/skills/{skill_id}/run')).toEqual(expect.arrayContaining(['200', '400', '404', '422']));
    expect(responses('get', '/skills/{skill_id}')).toEqual(expect.arrayContaining(['200', '400', '404']));
    // GET /skills/{id}?version=N answers four more fields: the document should say so.
    const skillResponse = doc.paths['/skills/{skill_id}']!.get!.responses['200']!.content!['application/json']!.schema;
    expect(Object.keys(skillResponse.properties ?? {})).toEqual(expect.arrayContaining(['version', 'prompt_template', 'required_params', 'version_created_at']));
  });
});
