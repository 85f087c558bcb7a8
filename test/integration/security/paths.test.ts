// Workspaces confined to ANTON_WORKSPACES_ROOT and artifact downloads confined to the session's
// workspace, attacked through `..`, symlinks, absolute paths and odd bytes, over REST and GraphQL.
//
// Already proven elsewhere, not repeated here:
// - test/integration/rest/workspaces.test.ts: REST `..` escapes (relative, in the middle,
//   absolute), absolute paths elsewhere, a sibling sharing the root's prefix, `/`, a symlink
//   inside the root pointing out (also deeper below it), `~`, and that nothing is created.
// - test/integration/rest/artifact-content.test.ts: an artifact stored with an absolute path
//   outside the workspace, and one that is a symlink to a file outside, are 404s.
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { makeHome, startTestService, type TestService } from '../../kit/service.js';

let service: TestService;
let root: string;
let outside: string;
let workspace: string;
let otherWorkspace: string;
let runId: string;
const SECRET = 'top-secret-outside';

async function exists(target: string): Promise<boolean> {
  return stat(target).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  root = await makeHome();
  outside = await mkdtemp(path.join(tmpdir(), 'anton-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), SECRET);
  await symlink(outside, path.join(root, 'link-out'));
  service = await startTestService({
    home: root,
    env: { ANTON_WORKSPACES_ROOT: root },
    agent: new ScriptedAgent({}, { steps: [{ writeFile: 'inside.txt', content: 'inside' }, { reply: 'saved' }] }),
  });
  expect((await service.rest('POST', '/sessions', { session_id: 'victim', workspace_path: 'victim-ws' })).status).toBe(200);
  expect((await service.rest('POST', '/sessions', { session_id: 'other', workspace_path: 'other-ws' })).status).toBe(200);
  workspace = path.join(root, 'victim-ws');
  otherWorkspace = path.join(root, 'other-ws');
  runId = ((await service.rest('POST', '/sessions/victim/turn', { message: 'write' })).body as { run_id: string }).run_id;
});
afterAll(async () => {
  await service?.dispose();
  for (const dir of [root, outside]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('workspace paths outside ANTON_WORKSPACES_ROOT', () => {
  const escapes = (): string[] => [
    '..',
    '../',
    './../x',
    'a/../../x',
    'a/./b/../../../x',
    `${root}/../x`,
    `${root}/a/../../x`,
    `${root}//..//x`,
    `${root}/link-out`,
    `${root}/link-out/x/y`,
    'link-out/../link-out/x',
    outside,
    path.join(outside, 'new'),
    '/tmp',
    '/etc/anton',
    '/',
    '//',
    '~',
    '~/x',
  ];

  test('are refused over GraphQL too (BAD_USER_INPUT), and nothing is created outside', async () => {
    for (const workspacePath of escapes()) {
      const response = await service.gql(
        'mutation ($input: CreateSessionInput!) { createSession(input: $input) { id } }',
        { input: { workspacePath } },
        { allowErrors: true },
      );
      expect({ workspacePath, data: response.data, codes: response.errors?.map((error) => error.extensions?.code) }).toEqual({
        workspacePath,
        data: null,
        codes: ['BAD_USER_INPUT'],
      });
      expect(response.errors?.[0]?.message).toMatch(/^Workspace path '.*' is outside ANTON_WORKSPACES_ROOT\.$/);
    }
    expect(await exists(path.join(outside, 'new'))).toBe(false);
    expect(await exists(path.join(outside, '.anton'))).toBe(false);
    expect(await exists(path.join(path.dirname(root), 'x'))).toBe(false);
  });

  test('odd bytes in a workspace path are a 4xx, never a 5xx, and never escape', async () => {
    for (const workspacePath of ['a\u0000/../../x', '\u0000', `${root}\u0000/../x`, 'x'.repeat(5000), `${'a/'.repeat(3000)}x`, '%2e%2e/%2e%2e/x', '..\\..\\x', 'a\n/../../x']) {
      const response = await service.rest('POST', '/sessions', { workspace_path: workspacePath });
      expect({ workspacePath: workspacePath.slice(0, 40), status: response.status }).toEqual({
        workspacePath: workspacePath.slice(0, 40),
        status: expect.any(Number),
      });
      expect(response.status).toBeLessThan(500);
      if (response.status === 200) {
        // Accepted only as a folder inside the root (e.g. one literally named `%2e%2e`).
        const created = (response.body as { workspace_path: string }).workspace_path;
        const relative = path.relative(root, created);
        expect({ workspacePath: workspacePath.slice(0, 40), relative }).toEqual({
          workspacePath: workspacePath.slice(0, 40),
          relative: expect.not.stringMatching(new RegExp(`^\\.\\.(?:${path.sep}|$)|^${path.sep}`)),
        });
      } else {
        expect(response.body).toEqual({ detail: expect.any(String) });
      }
    }
    expect(await exists(path.join(path.dirname(root), 'x'))).toBe(false);
  });

  test('a symlink created inside an existing workspace after the fact is not a way out for new sessions', async () => {
    await symlink(outside, path.join(workspace, 'escape'));
    const response = await service.rest('POST', '/sessions', { workspace_path: path.join(workspace, 'escape', 'ws') });
    expect(response.status).toBe(400);
    expect(await exists(path.join(outside, 'ws'))).toBe(false);
  });
});

describe('artifact downloads that escape the workspace', () => {
  let counter = 0;
  async function artifactAt(file: string): Promise<string> {
    counter += 1;
    const id = `a${String(counter).padStart(11, '0')}`;
    await service.db.artifact.create({ data: { id, runId, kind: 'txt', path: file, sizeBytes: 1n, sha256: 'x' } });
    return id;
  }
  const download = (id: string) => service.rest('GET', `/runs/${runId}/artifacts/${id}/content`);

  test('the run’s own artifact is served (the control)', async () => {
    const listed = (await service.rest('GET', `/runs/${runId}/artifacts`)).body as { artifacts: Array<{ id: string }> };
    const response = await download(listed.artifacts[0]!.id);
    expect(response.status).toBe(200);
    expect(response.text).toBe('inside');
  });

  test('stored paths with `..`, symlinked folders, the workspace itself and other workspaces are 404s', async () => {
    await mkdir(path.join(workspace, '.anton', 'output', 'sub'), { recursive: true });
    await symlink(outside, path.join(workspace, '.anton', 'output', 'dir-link'));
    await symlink(path.join(otherWorkspace, '.anton'), path.join(workspace, '.anton', 'output', 'other-link'));
    await writeFile(path.join(otherWorkspace, '.anton', 'other.txt'), 'other session');
    const escaping = [
      path.join(workspace, '.anton', 'output', '..', '..', '..', path.relative(root, outside), 'secret.txt'),
      `${workspace}/.anton/output/../../../${path.relative(path.dirname(workspace), outside)}/secret.txt`,
      `${workspace}/.anton/output/sub/../../../../${path.relative(path.dirname(workspace), outside)}/secret.txt`,
      path.join(workspace, '.anton', 'output', 'dir-link', 'secret.txt'),
      path.join(workspace, '.anton', 'output', 'other-link', 'other.txt'),
      path.join(otherWorkspace, '.anton', 'other.txt'),
      workspace,
      path.join(workspace, '.anton', 'output'),
      `${workspace}-evil/secret.txt`,
      'secret.txt',
      '../secret.txt',
      '/etc/passwd',
      '/proc/self/environ',
    ];
    await mkdir(`${workspace}-evil`, { recursive: true });
    await writeFile(`${workspace}-evil/secret.txt`, SECRET);
    for (const file of escaping) {
      const id = await artifactAt(file);
      const response = await download(id);
      expect({ file, status: response.status }).toEqual({ file, status: 404 });
      expect(response.body).toEqual({ detail: expect.any(String) });
      expect(response.text).not.toContain(SECRET);
      expect(response.text).not.toContain('other session');
      expect(response.text).not.toContain('root:');
      // The same file through GraphQL.
      const gql = await service.gql('query ($r: ID!, $a: ID!) { artifactFile(runId: $r, artifactId: $a) { path } }', { r: runId, a: id }, { allowErrors: true });
      expect(gql.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    }
  });

  test('artifact ids that look like paths are just unknown ids', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '%00', 'a%2F..%2F..']) {
      const response = await service.rest('GET', `/runs/${runId}/artifacts/${id}/content`);
      // A NUL cannot even be looked up (400); everything else is an unknown artifact.
      expect([400, 404]).toContain(response.status);
      expect(response.body).toEqual({ detail: expect.any(String) });
      expect(response.text).not.toContain('root:');
    }
  });
});
