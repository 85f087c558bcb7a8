import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startFakeAnthropic, type FakeLlmServer } from '../../kit/fakeLlm.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';

const write = { action: 'write', connector_id: 'warehouse', query: "UPDATE kpis SET value = 2 WHERE name = 'x'" };

let llm: FakeLlmServer;
let service: TestService;
let dbPath: string;

beforeAll(async () => {
  dbPath = path.join(await mkdtemp(path.join(tmpdir(), 'anton-resume-')), 'warehouse.db');
  const seed = new Database(dbPath);
  seed.exec("CREATE TABLE kpis (name TEXT, value INTEGER); INSERT INTO kpis VALUES ('x', 1);");
  seed.close();
  llm = await startFakeAnthropic([
    { text: ['Updating.'], toolCalls: [{ id: 't1', name: 'connector', input: write }] },
    { text: ['Waiting for approval.'] },
    // The resumed run: the model repeats the approved call, then reports.
    { toolCalls: [{ id: 't2', name: 'connector', input: write }] },
    { text: ['Done.'] },
  ]);
  service = await startTestService({
    realAgent: true,
    env: {
      ANTON_PLANNING_PROVIDER: 'anthropic',
      ANTON_ANTHROPIC_API_KEY: 'test-key',
      ANTON_ANTHROPIC_BASE_URL: llm.url,
      ANTON_CONNECTOR_MODE: 'local',
      ANTON_CONNECTOR_LOCAL_SQLITE_MAP: JSON.stringify({ warehouse: dbPath }),
    },
  });
  await service.rest('POST', '/sessions', { session_id: 'resume' });
});
afterAll(async () => {
  await service.dispose();
  await llm.close();
});

test('a decision with resume starts a run that continues with the approved call', async () => {
  const first = (await service.rest('POST', '/sessions/resume/turn', { message: 'set x to 2' })).body as {
    status: string;
    pending_approval_ids: string[];
    run_id: string;
  };
  expect(first.status).toBe('approval_required');
  expect(first.pending_approval_ids).toHaveLength(1);
  const decision = await service.rest('POST', `/approvals/${first.pending_approval_ids[0]}/decision`, { approved: true, resume: true });
  expect(decision.status).toBe(200);
  const resumedRunId = (decision.body as { resumed_run_id: string }).resumed_run_id;
  expect(resumedRunId).toMatch(/^[0-9a-f]{12}$/);
  const resumed = await waitUntil(async () => {
    const run = (await service.rest('GET', `/runs/${resumedRunId}`)).body as { status: string; prompt: string; response: string };
    return run.status === 'completed' ? run : undefined;
  });
  expect(resumed.prompt).toContain('connector (Connector write requires approval.): approved');
  expect(resumed.response).toBe('Done.');
  const check = new Database(dbPath, { readonly: true });
  expect(check.prepare("SELECT value FROM kpis WHERE name = 'x'").get()).toEqual({ value: 2 });
  check.close();
  // Repeating the request returns the same continuation instead of starting another run.
  const again = await service.rest('POST', `/approvals/${first.pending_approval_ids[0]}/decision`, { approved: true, resume: true });
  expect((again.body as { resumed_run_id: string }).resumed_run_id).toBe(resumedRunId);
});
