// GET /health, POST /sessions, GET /sessions, GET /sessions/{id}.
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { startTestService, type TestService } from '../../kit/service.js';
import { anyEpoch, api, detail, expectRecentEpoch, HEX12, issue, MSG, type Api } from './contract.js';

let service: TestService;
let client: Api;
const tildeDir = `.anton-rest-test-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  service = await startTestService();
  client = api(service);
});
afterAll(async () => {
  await rm(path.join(homedir(), tildeDir), { recursive: true, force: true });
  await service.dispose();
});

async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isDirectory();
  } catch {
    return false;
  }
}

interface SessionBody {
  session_id: string;
  workspace_path: string;
  metadata: Record<string, unknown>;
  created_at: number;
}

describe('GET /health', () => {
  test('is ok', async () => {
    const response = await client.call('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });
});

describe('POST /sessions', () => {
  test('generates a 12-hex id and defaults the workspace to the service home', async () => {
    const response = await client.call('POST', '/sessions', {});
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: service.home, metadata: {} });
  });

  test('generates an id for a null or empty session_id, and a fresh one each time', async () => {
    const a = await client.post<SessionBody>('/sessions', { session_id: null, workspace_path: null, metadata: null });
    const b = await client.post<SessionBody>('/sessions', { session_id: '' });
    expect(a).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: service.home, metadata: {} });
    expect(b).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: service.home, metadata: {} });
    expect(a.session_id).not.toBe(b.session_id);
  });

  test('keeps a client-chosen id and echoes metadata, auth_context included', async () => {
    const metadata = {
      team: 'analytics',
      auth_context: { user_id: 'u-123', org_id: 'org-9', roles: ['analyst'], attributes: { region: 'us' } },
    };
    const response = await client.call('POST', '/sessions', { session_id: 'client-chosen', metadata });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ session_id: 'client-chosen', workspace_path: service.home, metadata });
  });

  test('resolves an absolute workspace and creates .anton/ and .anton/output/', async () => {
    const workspace = path.join(service.home, 'absolute', 'ws');
    const response = await client.call('POST', '/sessions', { workspace_path: workspace });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: workspace, metadata: {} });
    expect(await isDirectory(path.join(workspace, '.anton'))).toBe(true);
    expect(await isDirectory(path.join(workspace, '.anton', 'output'))).toBe(true);
  });

  test('resolves a relative workspace against the working directory', async () => {
    const response = await client.call('POST', '/sessions', { workspace_path: 'relative/./ws/../ws2' });
    expect(response.status).toBe(200);
    const expected = path.join(service.home, 'relative', 'ws2');
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: expected, metadata: {} });
    expect(await isDirectory(path.join(expected, '.anton', 'output'))).toBe(true);
  });

  test('expands ~ to the home directory', async () => {
    const response = await client.call('POST', '/sessions', { workspace_path: `~/${tildeDir}/ws` });
    expect(response.status).toBe(200);
    const expected = path.join(homedir(), tildeDir, 'ws');
    expect(response.body).toEqual({ session_id: expect.stringMatching(HEX12), workspace_path: expected, metadata: {} });
    expect(await isDirectory(path.join(expected, '.anton', 'output'))).toBe(true);
  });

  test('409 for an id that already exists', async () => {
    await client.post('/sessions', { session_id: 'taken' });
    const again = await client.call('POST', '/sessions', { session_id: 'taken', metadata: { other: true } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual(detail("Session 'taken' already exists."));
    // The first session is untouched.
    expect(await client.get('/sessions/taken')).toEqual({
      session_id: 'taken',
      workspace_path: service.home,
      metadata: {},
      created_at: anyEpoch(),
    });
  });

  test('concurrent creations of one id: one 200, the others 409, never a 500', async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => client.call('POST', '/sessions', { session_id: 'racing' })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body).toEqual(detail("Session 'racing' already exists."));
    }
  });

  test('422 when the body is missing', async () => {
    const response = await client.call('POST', '/sessions');
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('missing', ['body'], MSG.missing, null)] });
  });

  test('422 for wrong field types, every field reported', async () => {
    const body = { session_id: 5, workspace_path: true, metadata: 'x' };
    const response = await client.call('POST', '/sessions', body);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      detail: [
        issue('string_type', ['body', 'session_id'], MSG.string_type, 5),
        issue('string_type', ['body', 'workspace_path'], MSG.string_type, true),
        issue('dict_type', ['body', 'metadata'], MSG.dict_type, 'x'),
      ],
    });
  });

  test('422 when metadata is not an object', async () => {
    for (const metadata of [[1, 2], 'text', 3, true]) {
      const response = await client.call('POST', '/sessions', { metadata });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ detail: [issue('dict_type', ['body', 'metadata'], MSG.dict_type, metadata)] });
    }
  });

  test('422 when the body is JSON but not an object', async () => {
    const response = await client.call('POST', '/sessions', [1, 2]);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('model_attributes_type', ['body'], MSG.model_attributes_type, [1, 2])] });
  });
});

describe('GET /sessions/{session_id}', () => {
  test('returns the session with its creation time', async () => {
    const metadata = { team: 'x', auth_context: { user_id: 'u' } };
    const created = await client.post<SessionBody>('/sessions', { session_id: 'fetch-me', metadata });
    expect(created).toEqual({ session_id: 'fetch-me', workspace_path: service.home, metadata });
    const response = await client.call('GET', '/sessions/fetch-me');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ session_id: 'fetch-me', workspace_path: service.home, metadata, created_at: anyEpoch() });
    expectRecentEpoch((response.body as SessionBody).created_at);
  });

  test('404 for an unknown session', async () => {
    const response = await client.call('GET', '/sessions/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown session_id 'nope'."));
  });
});

describe('GET /sessions', () => {
  let fresh: TestService;
  let freshClient: Api;
  const ids: string[] = [];

  beforeAll(async () => {
    fresh = await startTestService();
    freshClient = api(fresh);
    for (let index = 0; index < 5; index += 1) {
      ids.push((await freshClient.post<SessionBody>('/sessions', { session_id: `page-${index}`, metadata: { index } })).session_id);
    }
  });
  afterAll(() => fresh.dispose());

  test('lists every session, newest first, without a cursor when there is no more', async () => {
    const response = await freshClient.call('GET', '/sessions');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      sessions: [...ids].reverse().map((id, position) => ({
        session_id: id,
        workspace_path: fresh.home,
        metadata: { index: ids.length - 1 - position },
        created_at: anyEpoch(),
      })),
      next_cursor: null,
    });
    const times = (response.body as { sessions: SessionBody[] }).sessions.map((session) => session.created_at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  test('pages with limit and after / next_cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&after=${encodeURIComponent(cursor)}`;
      const page = await freshClient.get<{ sessions: SessionBody[]; next_cursor: string | null }>(`/sessions${query}`);
      expect(Object.keys(page).sort()).toEqual(['next_cursor', 'sessions']);
      expect(page.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.sessions.map((session) => session.session_id));
      cursor = page.next_cursor;
      if (cursor !== null) expect(typeof cursor).toBe('string');
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  test('a limit below 1 means 1', async () => {
    for (const limit of ['0', '-3']) {
      const page = await freshClient.get<{ sessions: SessionBody[]; next_cursor: string | null }>(`/sessions?limit=${limit}`);
      expect(page.sessions.map((session) => session.session_id)).toEqual([ids.at(-1)]);
      expect(page.next_cursor).toEqual(expect.any(String));
    }
  });

  test('422 for a non-integer limit', async () => {
    const response = await freshClient.call('GET', '/sessions?limit=abc');
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'abc')] });
  });

  test('400 for a cursor that is not one of ours', async () => {
    const response = await freshClient.call('GET', '/sessions?after=garbage');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: expect.stringMatching(/\.$/) });
  });
});
