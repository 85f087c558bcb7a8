// A confined workspace root (ANTON_WORKSPACES_ROOT): every workspace must lie inside it once `..`
// and symlinks are resolved.
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeHome, startTestService, type TestService } from '../../kit/service.js';
import { api, detail, HEX12, type Api } from './contract.js';

let service: TestService;
let client: Api;
/** The service home, which is also the workspace root (so the default workspace is allowed). */
let root: string;
/** A folder outside the root. */
let outside: string;
/** A sibling whose name starts with the root's name: a plain prefix test would let it through. */
let sibling: string;

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

const outsideDetail = (workspace: string): Record<string, unknown> => detail(`Workspace path '${workspace}' is outside ANTON_WORKSPACES_ROOT.`);

beforeAll(async () => {
  root = await makeHome();
  outside = await mkdtemp(path.join(tmpdir(), 'anton-outside-'));
  sibling = `${root}-evil`;
  await mkdir(sibling);
  await symlink(outside, path.join(root, 'link-out'));
  await mkdir(path.join(root, 'real-inside'));
  await symlink(path.join(root, 'real-inside'), path.join(root, 'link-in'));
  service = await startTestService({ home: root, env: { ANTON_WORKSPACES_ROOT: root } });
  client = api(service);
});
afterAll(async () => {
  await service.dispose();
  for (const dir of [root, outside, sibling]) await rm(dir, { recursive: true, force: true });
});

describe('inside the root', () => {
  test.each([
    ['no workspace_path (the service home)', undefined, () => root],
    ['the root itself', () => root, () => root],
    ['an absolute path inside', () => path.join(root, 'projects', 'a'), () => path.join(root, 'projects', 'a')],
    ['a relative path', () => 'relative/b', () => path.join(root, 'relative', 'b')],
    ['.. that stays inside', () => 'x/../y', () => path.join(root, 'y')],
    ['a symlink inside pointing inside', () => path.join(root, 'link-in', 'ws'), () => path.join(root, 'link-in', 'ws')],
  ])('%s is accepted', async (_label, requested, expected) => {
    const body = requested === undefined ? {} : { workspace_path: requested() };
    const response = await client.call('POST', '/sessions', body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: expected(), metadata: {} });
    expect(await exists(path.join(expected(), '.anton', 'output'))).toBe(true);
  });
});

// A folder whose name merely starts with two dots (`..cache`) is inside the root. The check in
// src/sessions/workspace.ts (assertInsideRoot) tests `path.relative(...).startsWith('..')`,
// which also matches such names, so they are refused with a 400.
test('a folder whose name starts with ".." is inside the root', async () => {
  for (const requested of [path.join(root, '..cache'), '..cache/ws', path.join(root, 'sub', '...', 'ws')]) {
    const response = await client.call('POST', '/sessions', { workspace_path: requested });
    expect({ requested, status: response.status }).toEqual({ requested, status: 200 });
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: path.resolve(root, requested), metadata: {} });
  }
});

describe('outside the root: 400, and nothing is created', () => {
  test.each([
    ['a relative .. escape', () => '../escape-1', () => path.join(path.dirname(root), 'escape-1')],
    ['a .. escape in the middle', () => 'a/../../escape-2', () => path.join(path.dirname(root), 'escape-2')],
    ['an absolute .. escape', () => path.join(root, '..', 'escape-3'), () => path.join(path.dirname(root), 'escape-3')],
    ['an absolute path elsewhere', () => path.join(outside, 'ws'), () => path.join(outside, 'ws')],
    ['a sibling sharing the root’s name as a prefix', () => path.join(sibling, 'ws'), () => path.join(sibling, 'ws')],
    ['/', () => '/', () => '/'],
  ])('%s', async (_label, requested, resolved) => {
    const response = await client.call('POST', '/sessions', { workspace_path: requested() });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(outsideDetail(resolved()));
    if (resolved() !== '/') expect(await exists(resolved())).toBe(false);
  });

  test('a symlink inside the root that points outside', async () => {
    for (const requested of [path.join(root, 'link-out'), path.join(root, 'link-out', 'ws'), 'link-out/deeper/ws']) {
      const response = await client.call('POST', '/sessions', { workspace_path: requested });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(outsideDetail(path.resolve(root, requested)));
    }
    expect(await exists(path.join(outside, 'ws'))).toBe(false);
    expect(await exists(path.join(outside, 'deeper'))).toBe(false);
    expect(await exists(path.join(outside, '.anton'))).toBe(false);
  });

  test('a ~ path outside the root', async () => {
    const response = await client.call('POST', '/sessions', { workspace_path: '~/anton-not-allowed' });
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toMatch(/^Workspace path '.*anton-not-allowed' is outside ANTON_WORKSPACES_ROOT\.$/);
  });

  test('a refused workspace creates no session', async () => {
    const response = await client.call('POST', '/sessions', { session_id: 'refused', workspace_path: path.join(outside, 'ws') });
    expect(response.status).toBe(400);
    const lookup = await client.call('GET', '/sessions/refused');
    expect(lookup.status).toBe(404);
  });
});
