import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, type TestService } from '../../kit/service.js';

const html = '<html><body>chart</body></html>';
let service: TestService;
let runId: string;
let artifactId: string;

beforeAll(async () => {
  service = await startTestService({ agent: new ScriptedAgent({}, { steps: [{ writeFile: 'chart.html', content: html }, { reply: 'saved' }] }) });
  await service.rest('POST', '/sessions', { session_id: 'files' });
  runId = ((await service.rest('POST', '/sessions/files/turn', { message: 'chart' })).body as { run_id: string }).run_id;
  const listed = (await service.rest('GET', `/runs/${runId}/artifacts`)).body as { artifacts: Array<{ id: string }> };
  artifactId = listed.artifacts[0]!.id;
});
afterAll(() => service.dispose());

test('serves the file of an artifact with its content type', async () => {
  const response = await service.rest('GET', `/runs/${runId}/artifacts/${artifactId}/content`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.text).toBe(html);
});

test('unknown artifacts and runs are 404', async () => {
  expect(await service.rest('GET', `/runs/${runId}/artifacts/000000000000/content`)).toMatchObject({
    status: 404,
    body: { detail: `Unknown artifact_id '000000000000' for run '${runId}'.` },
  });
  expect(await service.rest('GET', '/runs/nope/artifacts/x/content')).toMatchObject({ status: 404, body: { detail: "Unknown run_id 'nope'." } });
});

test('never serves a file outside the session workspace, even through a symlink', async () => {
  const outside = path.join(await mkdtemp(path.join(tmpdir(), 'anton-outside-')), 'secret.txt');
  await writeFile(outside, 'secret');
  const workspace = path.join(service.home, '.anton', 'output');
  const link = path.join(workspace, 'link.txt');
  await symlink(outside, link);
  for (const [id, file] of [['aaaaaaaaaaaa', outside], ['bbbbbbbbbbbb', link]] as const) {
    await service.db.artifact.create({ data: { id, runId, kind: 'txt', path: file, sizeBytes: 6n, sha256: 'x' } });
    const response = await service.rest('GET', `/runs/${runId}/artifacts/${id}/content`);
    expect(response.status).toBe(404);
    expect(response.text).not.toContain('secret"');
    expect(response.text).not.toBe('secret');
  }
});
