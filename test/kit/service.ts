import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Agent } from '../../src/agent/types.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { ScriptedAgent } from './agents.js';

export interface TestServiceOptions {
  /** Extra environment (ANTON_* settings); the test's own home and port 0 are always set. */
  env?: Record<string, string>;
  agent?: Agent;
  /** Reuse a database (another process, or a restart); default: a fresh migrated one. */
  database?: TestDatabase;
  /** Reuse a home folder (a restart); default: a fresh temp folder. */
  home?: string;
  log?: Logger;
  /** Use the agent the configuration describes (LLM providers, tools) instead of a ScriptedAgent. */
  realAgent?: boolean;
  /** The time as schedules see it (a fake clock); default: the system clock. */
  now?: () => Date;
}

export interface TestService extends RunningService {
  config: Config;
  database: TestDatabase;
  home: string;
  agent: Agent | undefined;
  /** A REST call: the status, the parsed JSON (or text) body and the headers. */
  rest(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<RestResponse>;
  /** A GraphQL call over real HTTP; fails with the whole response when there are errors, unless allowErrors. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: { allowErrors?: boolean; headers?: Record<string, string> }): Promise<GqlResponse<T>>;
  /** Stops the service; drops the database and home unless they were handed in. */
  dispose(): Promise<void>;
}

export interface RestResponse {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export interface GqlResponse<T> {
  status: number;
  data: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function makeHome(): Promise<string> {
  const home = await mkdtemp(path.join(tmpdir(), 'anton-home-'));
  await chmod(home, 0o755);
  return home;
}

/** A real service on 127.0.0.1, port 0, on its own database and home folder. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const database = options.database ?? (await createTestDatabase());
  const home = options.home ?? (await makeHome());
  const config = loadConfig(
    { ANTON_HOME: home, ANTON_SERVICE_PORT: '0', ANTON_SERVICE_HOST: '127.0.0.1', DATABASE_URL: database.url, ...options.env },
    { cwd: home, homeDir: home, readEnvFiles: false },
  );
  const agent = options.realAgent ? undefined : (options.agent ?? new ScriptedAgent());
  const service = await startService({
    config,
    databaseUrl: database.url,
    agent,
    log: options.log ?? createLogger(process.env.ANTON_TEST_LOG === '1' ? 'debug' : 'silent'),
    cwd: home,
    pollMs: 200,
    now: options.now,
  });

  const rest: TestService['rest'] = async (method, urlPath, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    return readRestResponse(await fetch(service.url + urlPath, init));
  };

  const gql: TestService['gql'] = async (query, variables = {}, gqlOptions = {}) => {
    const response = await fetch(service.url + '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gqlOptions.headers },
      body: JSON.stringify({ query, variables }),
    });
    const json = (await response.json()) as { data: never; errors?: GqlResponse<never>['errors'] };
    if (json.errors && !gqlOptions.allowErrors) {
      throw new Error(`GraphQL errors (HTTP ${response.status}):\n${JSON.stringify(json.errors, null, 2)}\nquery: ${query}`);
    }
    return { status: response.status, data: json.data, errors: json.errors };
  };

  return {
    ...service,
    config,
    database,
    home,
    agent,
    rest,
    gql,
    dispose: async () => {
      await service.close();
      if (!options.database) await database.drop();
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A fetch response as a RestResponse: the body parsed as JSON when it is JSON, else its text. */
export async function readRestResponse(response: Response): Promise<RestResponse> {
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text is the body
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}
