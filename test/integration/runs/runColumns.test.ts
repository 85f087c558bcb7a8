// The run rows read without Prisma's model API (a plain `pg` read, RETURNING lists in raw SQL)
// must be the very objects `findUnique` gives: same keys, same types, same values.
import { Prisma } from '../../../src/generated/prisma/client.js';
import { RUN_FIELDS, RUN_SELECT_SQL } from '../../../src/runs/columns.js';
import { RunRepository } from '../../../src/runs/repository.js';
import { startTestService, type TestService } from '../../kit/service.js';

let service: TestService;
let repository: RunRepository;
const runIds: string[] = [];

beforeAll(async () => {
  service = await startTestService();
  repository = new RunRepository(service.db, service.sql);
  await service.rest('POST', '/sessions', { session_id: 'cols' });
  const done = await service.rest('POST', '/sessions/cols/turn', { message: 'hello', wait_for_completion: true, idempotency_key: 'k-1' });
  runIds.push((done.body as { run_id: string }).run_id);
  const skill = await service.rest('POST', '/skills', { name: 'greet', prompt_template: 'Say hi to {who}' });
  const skillId = (skill.body as { id: string }).id;
  const skillRun = await service.rest('POST', `/skills/${skillId}/run`, { session_id: 'cols', params: { who: 'Ada', extra: 'x "y" ✓' }, wait_for_completion: true });
  expect(skillRun.status).toBe(200);
  runIds.push((skillRun.body as { run_id: string }).run_id);
  // A row with every nullable column set and unusual values, written by hand.
  const crafted = await service.sql.query<{ id: string }>(
    `INSERT INTO runs (id, session_id, status, prompt, worker_mode, pending_approval_ids, latency_seconds,
                       lease_owner, lease_expires_at, input_tokens, output_tokens, tool_calls, cancel_requested,
                       response, error, completed_at, provider, model, model_prompt, system_prompt, skill_id, skill_version, skill_params, idempotency_key)
     VALUES ('crafted-run', 'cols', 'approval_required', 'p ✓', 'queue', ARRAY['a1','a "2"'], 0.30000000000000004,
             'proc:1', clock_timestamp(), 2147483647, 0, 3, true, '', 'e', clock_timestamp(), 'anthropic', 'm', 'mp', 'sp', NULL, NULL,
             '{"z": 1, "a": [null, 1.5e300]}'::jsonb, 'k-2')
     RETURNING id`,
  );
  runIds.push(crafted.rows[0]!.id);
});
afterAll(() => service.dispose());

test('RUN_FIELDS names every scalar field of the Run model', () => {
  expect(Object.keys(RUN_FIELDS).sort()).toEqual(Object.values(Prisma.RunScalarFieldEnum).sort());
});

test('a plain pg read of a run equals findUnique', async () => {
  expect(runIds).toHaveLength(3);
  for (const id of runIds) {
    const expected = await service.db.run.findUnique({ where: { id } });
    expect(expected).not.toBeNull();
    const actual = await repository.findById(id);
    expect(actual).toStrictEqual(expected);
  }
  expect(await repository.findById('no-such-run')).toBeNull();
});

test('a RETURNING / select list in raw Prisma SQL equals findUnique', async () => {
  for (const id of runIds) {
    const expected = await service.db.run.findUnique({ where: { id } });
    const rows = await service.db.$queryRaw<unknown[]>`SELECT ${RUN_SELECT_SQL} FROM runs WHERE id = ${id}`;
    expect(rows[0]).toStrictEqual(expected);
  }
});
