// GET /runs/{run_id}/artifacts.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { anyEpoch, anyId, api, createSession, detail, expectRecentEpoch, sha256, turn, type Api } from './contract.js';

const CHART_V1 = '<html><body>chart v1</body></html>';
const CHART_V2 = '<html><body>chart, second version, longer</body></html>';
const README = 'read me\n';

const agent = new ScriptedAgent({
  chart: { steps: [{ writeFile: 'chart.html', content: CHART_V1 }, { reply: 'saved the chart' }] },
  readme: { steps: [{ writeFile: 'sub/README', content: README }, { reply: 'saved a readme' }] },
  'two files': {
    steps: [
      { writeFile: 'b.csv', content: 'x,y\n1,2\n' },
      { writeFile: 'a/notes.txt', content: 'notes' },
    ],
  },
  'modify chart': { steps: [{ writeFile: 'chart.html', content: CHART_V2 }] },
  'same chart': { steps: [{ reply: 'nothing written' }] },
});

let service: TestService;
let client: Api;
let session: string;
let outputDir: string;

interface ArtifactsBody {
  run_id: string;
  artifacts: Array<{ id: string; kind: string; path: string; created_at: number; size_bytes: number; sha256: string }>;
}

const artifact = (file: string, kind: string, content: string): Record<string, unknown> => ({
  id: anyId(),
  kind,
  path: path.join(outputDir, file),
  created_at: anyEpoch(),
  size_bytes: Buffer.byteLength(content),
  sha256: sha256(content),
});

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
  const workspace = path.join(service.home, 'artifact-ws');
  session = await createSession(client, { workspace_path: workspace });
  outputDir = path.join(workspace, '.anton', 'output');
});
afterAll(() => service.dispose());

test('a new html file: kind html, absolute path, size and sha256 (decision 13)', async () => {
  const run = await turn(client, session, { message: 'chart' });
  expect(run.status).toBe('completed');
  const response = await client.call('GET', `/runs/${run.run_id}/artifacts`);
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ run_id: run.run_id, artifacts: [artifact('chart.html', 'html', CHART_V1)] });
  const [only] = (response.body as ArtifactsBody).artifacts;
  expect(path.isAbsolute(only!.path)).toBe(true);
  expect(await readFile(only!.path, 'utf8')).toBe(CHART_V1);
  expectRecentEpoch(only!.created_at);
});

test('a file without an extension in a subfolder: kind file', async () => {
  const run = await turn(client, session, { message: 'readme' });
  expect(await client.get(`/runs/${run.run_id}/artifacts`)).toEqual({
    run_id: run.run_id,
    artifacts: [artifact(path.join('sub', 'README'), 'file', README)],
  });
});

test('several files of one run come in path order, and earlier files are not claimed again', async () => {
  const run = await turn(client, session, { message: 'two files' });
  expect(await client.get(`/runs/${run.run_id}/artifacts`)).toEqual({
    run_id: run.run_id,
    artifacts: [artifact(path.join('a', 'notes.txt'), 'txt', 'notes'), artifact('b.csv', 'csv', 'x,y\n1,2\n')],
  });
});

test('a run that writes nothing has no artifacts', async () => {
  const run = await turn(client, session, { message: 'same chart' });
  expect(await client.get(`/runs/${run.run_id}/artifacts`)).toEqual({ run_id: run.run_id, artifacts: [] });
});

test('a file modified by a later run is attributed to that run too', async () => {
  const first = await turn(client, session, { message: 'chart' });
  const firstArtifacts = await client.get<ArtifactsBody>(`/runs/${first.run_id}/artifacts`);
  // Rewriting the same content still changes the file's modification time.
  expect(firstArtifacts.artifacts.map((item) => item.path)).toEqual([path.join(outputDir, 'chart.html')]);
  const later = await turn(client, session, { message: 'modify chart' });
  const laterArtifacts = await client.get<ArtifactsBody>(`/runs/${later.run_id}/artifacts`);
  expect(laterArtifacts).toEqual({ run_id: later.run_id, artifacts: [artifact('chart.html', 'html', CHART_V2)] });
  // The first run keeps what it wrote.
  expect(await client.get(`/runs/${first.run_id}/artifacts`)).toEqual(firstArtifacts);
  expect(firstArtifacts.artifacts[0]!.id).not.toBe(laterArtifacts.artifacts[0]!.id);
});

test('404 for an unknown run (decision 2)', async () => {
  const response = await client.call('GET', '/runs/nope/artifacts');
  expect(response.status).toBe(404);
  expect(response.body).toEqual(detail("Unknown run_id 'nope'."));
});
