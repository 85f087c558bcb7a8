import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ConfigError, loadConfig, settingsTable } from '../../src/config.js';
import type { Config } from '../../src/config.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'anton-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh, empty working directory and home directory for one test. */
function dirs(): { cwd: string; homeDir: string } {
  counter += 1;
  const cwd = path.join(scratch, `case-${counter}`, 'project');
  const homeDir = path.join(scratch, `case-${counter}`, 'user');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(homeDir, { recursive: true });
  return { cwd, homeDir };
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Loads from the given variables only (no .env files), in a fresh working directory. */
function load(env: Record<string, string>): Config {
  return loadConfig(env, { ...dirs(), readEnvFiles: false });
}

function errorOf(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  it('gives every documented default when nothing is set', () => {
    const { cwd, homeDir } = dirs();
    expect(loadConfig({}, { cwd, homeDir })).toEqual({
      home: cwd,
      serviceDir: path.join(cwd, '.anton', 'service'),
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: null,
      workspacesRoot: null,
      apiTokens: [],
      allowUnauthenticated: false,
      maxBodyBytes: 1048576,
      logLevel: 'info',
      workerMode: 'local',
      queueWorkerCount: 2,
      defaultWaitTimeoutSeconds: 300,
      runLeaseSeconds: 30,
      scheduler: { enabled: false, pollSeconds: 5, batchSize: 20, misfireGraceSeconds: 5 },
      llm: {
        planningProvider: 'anthropic',
        planningModel: 'claude-sonnet-4-6',
        codingProvider: 'anthropic',
        codingModel: 'claude-haiku-4-5-20251001',
        anthropicApiKey: null,
        anthropicBaseUrl: null,
        openaiApiKey: null,
        openaiBaseUrl: null,
      },
      memory: { enabled: true, dir: path.join(cwd, '.anton'), recallMaxItems: 4, recallMaxChars: 4000 },
      contextDir: path.join(cwd, '.anton', 'context'),
      connector: {
        mode: 'none',
        apiBaseUrl: null,
        apiToken: null,
        apiPathPrefix: '/v1',
        timeoutSeconds: 30,
        localSqliteMap: {},
        postgresMap: {},
      },
      governance: {
        maxTokensPerRun: 100000,
        maxToolCallsPerRun: 60,
        maxEstimatedSecondsWithoutApproval: 90,
        connectorMaxQueryLimit: 10000,
        connectorRequireWhereOrLimit: true,
      },
      graphql: { maxDepth: 12, maxComplexity: 5000 },
      theme: 'auto',
      disableAutoupdates: false,
    });
  });

  it('treats blank values as unset', () => {
    const config = load({
      ANTON_SERVICE_PORT: '  ',
      ANTON_PLANNING_MODEL: '',
      DATABASE_URL: ' ',
      ANTON_MEMORY_ENABLED: '',
      ANTON_CONNECTOR_LOCAL_SQLITE_MAP: '',
      ANTON_WORKSPACES_ROOT: '',
    });
    expect(config.port).toBe(8000);
    expect(config.llm.planningModel).toBe('claude-sonnet-4-6');
    expect(config.databaseUrl).toBeNull();
    expect(config.memory.enabled).toBe(true);
    expect(config.connector.localSqliteMap).toEqual({});
    expect(config.workspacesRoot).toBeNull();
  });
});

describe('values', () => {
  it('reads strings, trimmed', () => {
    const config = load({
      ANTON_SERVICE_HOST: ' 0.0.0.0 ',
      DATABASE_URL: 'postgres://u:p@db:5432/anton',
      ANTON_CODING_MODEL: 'gpt-5',
      ANTON_CONNECTOR_API_BASE_URL: 'https://bridge.example',
      ANTON_CONNECTOR_API_PATH_PREFIX: '/api/v2',
      ANTON_THEME: 'dark',
    });
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/anton');
    expect(config.llm.codingModel).toBe('gpt-5');
    expect(config.connector.apiBaseUrl).toBe('https://bridge.example');
    expect(config.connector.apiPathPrefix).toBe('/api/v2');
    expect(config.theme).toBe('dark');
  });

  it('accepts port 0 and 65535', () => {
    expect(load({ ANTON_SERVICE_PORT: '0' }).port).toBe(0);
    expect(load({ ANTON_SERVICE_PORT: '65535' }).port).toBe(65535);
  });

  it('accepts integers written with a zero fraction, like pydantic', () => {
    expect(load({ ANTON_MAX_TOOL_CALLS_PER_RUN: '60.0' }).governance.maxToolCallsPerRun).toBe(60);
    expect(load({ ANTON_SERVICE_PORT: ' 9000 ' }).port).toBe(9000);
  });

  it('accepts any finite number for float settings', () => {
    const config = load({
      ANTON_SERVICE_SCHEDULER_POLL_SECONDS: '2.5',
      ANTON_CONNECTOR_TIMEOUT_SECONDS: '1e1',
      ANTON_SERVICE_DEFAULT_WAIT_TIMEOUT_SECONDS: '.5',
    });
    expect(config.scheduler.pollSeconds).toBe(2.5);
    expect(config.connector.timeoutSeconds).toBe(10);
    expect(config.defaultWaitTimeoutSeconds).toBe(0.5);
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['on', true],
    ['t', true],
    ['Y', true],
    ['0', false],
    ['false', false],
    ['No', false],
    ['off', false],
    ['f', false],
    ['n', false],
  ])('reads the boolean %p as %p', (raw, expected) => {
    expect(load({ ANTON_SERVICE_SCHEDULER_ENABLED: raw }).scheduler.enabled).toBe(expected);
    expect(load({ ANTON_MEMORY_ENABLED: raw }).memory.enabled).toBe(expected);
  });

  it('normalises enum values (trimmed, lowercased)', () => {
    const config = load({
      ANTON_SERVICE_WORKER_MODE: ' Queue ',
      ANTON_PLANNING_PROVIDER: 'OpenAI-Compatible',
      ANTON_CODING_PROVIDER: 'openai',
      ANTON_CONNECTOR_MODE: 'HTTP',
    });
    expect(config.workerMode).toBe('queue');
    expect(config.llm.planningProvider).toBe('openai-compatible');
    expect(config.llm.codingProvider).toBe('openai');
    expect(config.connector.mode).toBe('http');
  });

  it('splits API tokens on commas, trimming and dropping blanks', () => {
    expect(load({ ANTON_API_TOKENS: ' alpha, ,beta ,,gamma, ' }).apiTokens).toEqual(['alpha', 'beta', 'gamma']);
    expect(load({ ANTON_API_TOKENS: 'solo' }).apiTokens).toEqual(['solo']);
    expect(load({ ANTON_API_TOKENS: ' , ' }).apiTokens).toEqual([]);
  });

  it('reads the connector maps as JSON objects of strings', () => {
    const config = load({
      ANTON_CONNECTOR_LOCAL_SQLITE_MAP: '{"sales": "/data/sales.db", "hr": "hr.db"}',
      ANTON_CONNECTOR_POSTGRES_MAP: '{"warehouse": "postgres://wh/db"}',
    });
    expect(config.connector.localSqliteMap).toEqual({ sales: '/data/sales.db', hr: 'hr.db' });
    expect(config.connector.postgresMap).toEqual({ warehouse: 'postgres://wh/db' });
  });

  it('returns a fresh tokens list and fresh maps on every load', () => {
    const first = load({});
    first.apiTokens.push('mutated');
    first.connector.postgresMap.x = 'y';
    const second = load({});
    expect(second.apiTokens).toEqual([]);
    expect(second.connector.postgresMap).toEqual({});
  });
});

describe('clamps (kept from the reference, not errors)', () => {
  it.each([
    ['ANTON_SERVICE_QUEUE_WORKER_COUNT', '0', (c: Config) => c.queueWorkerCount, 1],
    ['ANTON_SERVICE_QUEUE_WORKER_COUNT', '-3', (c: Config) => c.queueWorkerCount, 1],
    ['ANTON_SERVICE_SCHEDULER_POLL_SECONDS', '0.01', (c: Config) => c.scheduler.pollSeconds, 0.1],
    ['ANTON_SERVICE_SCHEDULER_POLL_SECONDS', '-1', (c: Config) => c.scheduler.pollSeconds, 0.1],
    ['ANTON_SERVICE_SCHEDULER_BATCH_SIZE', '0', (c: Config) => c.scheduler.batchSize, 1],
    ['ANTON_MEMORY_RECALL_MAX_ITEMS', '0', (c: Config) => c.memory.recallMaxItems, 1],
    ['ANTON_MEMORY_RECALL_MAX_CHARS', '10', (c: Config) => c.memory.recallMaxChars, 1000],
  ])('raises %s=%s to the minimum', (env, raw, pick, expected) => {
    expect(pick(load({ [env]: raw }))).toBe(expected);
  });

  it('leaves values above the minimum alone', () => {
    const config = load({ ANTON_SERVICE_QUEUE_WORKER_COUNT: '8', ANTON_MEMORY_RECALL_MAX_CHARS: '1001' });
    expect(config.queueWorkerCount).toBe(8);
    expect(config.memory.recallMaxChars).toBe(1001);
  });
});

describe('invalid values fail with a ConfigError naming the variable', () => {
  it('uses a sentence that names the variable and the value', () => {
    const error = errorOf({ ANTON_SERVICE_PORT: 'abc' });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe("ANTON_SERVICE_PORT must be an integer from 0 to 65535 (got 'abc').");
  });

  it('rejects a provider outside the three', () => {
    expect(errorOf({ ANTON_PLANNING_PROVIDER: 'x' }).message).toBe(
      "ANTON_PLANNING_PROVIDER must be one of anthropic, openai, openai-compatible (got 'x').",
    );
  });

  it.each([
    ['ANTON_SERVICE_PORT', '65536'],
    ['ANTON_SERVICE_PORT', '-1'],
    ['ANTON_SERVICE_PORT', '80.5'],
    ['ANTON_SERVICE_PORT', '0x50'],
    ['ANTON_SERVICE_PORT', '1e3'],
    ['ANTON_SERVICE_MAX_BODY_BYTES', '1023'],
    ['ANTON_SERVICE_RUN_LEASE_SECONDS', '0'],
    ['ANTON_SERVICE_QUEUE_WORKER_COUNT', 'two'],
    ['ANTON_MAX_TOKENS_PER_RUN', '-5'],
    ['ANTON_MAX_TOOL_CALLS_PER_RUN', '60.5'],
    ['ANTON_CONNECTOR_MAX_QUERY_LIMIT', '0'],
    ['ANTON_GRAPHQL_MAX_DEPTH', '0'],
    ['ANTON_GRAPHQL_MAX_COMPLEXITY', 'lots'],
    ['ANTON_MEMORY_RECALL_MAX_ITEMS', '9007199254740993'],
    ['ANTON_SERVICE_SCHEDULER_POLL_SECONDS', 'abc'],
    ['ANTON_SERVICE_SCHEDULER_POLL_SECONDS', 'inf'],
    ['ANTON_SERVICE_SCHEDULER_POLL_SECONDS', 'NaN'],
    ['ANTON_CONNECTOR_TIMEOUT_SECONDS', '1e999'],
    ['ANTON_SERVICE_DEFAULT_WAIT_TIMEOUT_SECONDS', '-1'],
    ['ANTON_MEMORY_ENABLED', 'maybe'],
    ['ANTON_ALLOW_UNAUTHENTICATED', '2'],
    ['ANTON_CONNECTOR_REQUIRE_WHERE_OR_LIMIT', 'constructor'],
    ['ANTON_SERVICE_WORKER_MODE', 'threads'],
    ['ANTON_CODING_PROVIDER', 'gemini'],
    ['ANTON_CONNECTOR_MODE', 'sqlite'],
    ['ANTON_CONNECTOR_LOCAL_SQLITE_MAP', '{not json'],
    ['ANTON_CONNECTOR_LOCAL_SQLITE_MAP', '["a.db"]'],
    ['ANTON_CONNECTOR_LOCAL_SQLITE_MAP', 'null'],
    ['ANTON_CONNECTOR_POSTGRES_MAP', '"postgres://x"'],
    ['ANTON_CONNECTOR_POSTGRES_MAP', '{"wh": 5}'],
    ['ANTON_CONNECTOR_POSTGRES_MAP', '{"wh": {"url": "postgres://x"}}'],
  ])('%s=%p', (env, raw) => {
    const { message } = errorOf({ [env]: raw });
    expect(message.startsWith(`${env} must be `)).toBe(true);
    expect(message.endsWith(').')).toBe(true);
  });

  it('describes each kind of expectation', () => {
    expect(errorOf({ ANTON_SERVICE_MAX_BODY_BYTES: '10' }).message).toBe(
      "ANTON_SERVICE_MAX_BODY_BYTES must be an integer of at least 1024 (got '10').",
    );
    expect(errorOf({ ANTON_SERVICE_SCHEDULER_POLL_SECONDS: 'soon' }).message).toBe(
      "ANTON_SERVICE_SCHEDULER_POLL_SECONDS must be a number (got 'soon').",
    );
    expect(errorOf({ ANTON_MEMORY_ENABLED: 'maybe' }).message).toBe(
      "ANTON_MEMORY_ENABLED must be a boolean such as true/false, yes/no, on/off or 1/0 (got 'maybe').",
    );
    expect(errorOf({ ANTON_SERVICE_WORKER_MODE: 'threads' }).message).toBe(
      "ANTON_SERVICE_WORKER_MODE must be one of local, queue (got 'threads').",
    );
    expect(errorOf({ ANTON_CONNECTOR_POSTGRES_MAP: '[]' }).message).toMatch(
      /^ANTON_CONNECTOR_POSTGRES_MAP must be a JSON object whose values are strings/,
    );
  });

  it('names the canonical variable when the value came under another spelling', () => {
    expect(errorOf({ anton_service_port: 'x' }).message).toMatch(/^ANTON_SERVICE_PORT /);
  });

  it('shortens very long values in the message', () => {
    const { message } = errorOf({ ANTON_CONNECTOR_LOCAL_SQLITE_MAP: `[${'"x",'.repeat(100)}"x"]` });
    expect(message.length).toBeLessThan(250);
  });
});

describe('variable names', () => {
  it('accepts ANTON_* names in any case', () => {
    const config = load({ anton_planning_model: 'm1', Anton_Service_Port: '9001', ANTON_memory_enabled: 'no' });
    expect(config.llm.planningModel).toBe('m1');
    expect(config.port).toBe(9001);
    expect(config.memory.enabled).toBe(false);
  });

  it('prefers the exact-case name when both spellings exist', () => {
    expect(load({ anton_planning_model: 'lower', ANTON_PLANNING_MODEL: 'exact' }).llm.planningModel).toBe('exact');
    expect(load({ ANTON_PLANNING_MODEL: 'exact', anton_planning_model: 'lower' }).llm.planningModel).toBe('exact');
  });

  it('reads names without the ANTON_ prefix in exact case only', () => {
    expect(load({ database_url: 'postgres://x' }).databaseUrl).toBeNull();
    expect(load({ anthropic_api_key: 'k' }).llm.anthropicApiKey).toBeNull();
  });
});

describe('API keys', () => {
  it('falls back to the SDK variables', () => {
    const config = load({ ANTHROPIC_API_KEY: 'sk-ant', OPENAI_API_KEY: 'sk-oai' });
    expect(config.llm.anthropicApiKey).toBe('sk-ant');
    expect(config.llm.openaiApiKey).toBe('sk-oai');
  });

  it('prefers the ANTON_ variables', () => {
    const config = load({
      ANTHROPIC_API_KEY: 'sdk',
      ANTON_ANTHROPIC_API_KEY: 'anton',
      OPENAI_API_KEY: 'sdk',
      anton_openai_api_key: 'anton',
    });
    expect(config.llm.anthropicApiKey).toBe('anton');
    expect(config.llm.openaiApiKey).toBe('anton');
  });

  it('falls back when the ANTON_ variable is blank', () => {
    expect(load({ ANTON_ANTHROPIC_API_KEY: ' ', ANTHROPIC_API_KEY: 'sdk' }).llm.anthropicApiKey).toBe('sdk');
  });

  it('reads the base URLs', () => {
    const config = load({ ANTON_ANTHROPIC_BASE_URL: 'https://a.example', ANTON_OPENAI_BASE_URL: 'http://localhost:1234/v1' });
    expect(config.llm.anthropicBaseUrl).toBe('https://a.example');
    expect(config.llm.openaiBaseUrl).toBe('http://localhost:1234/v1');
  });
});

describe('paths', () => {
  it('resolves a relative ANTON_HOME against the working directory', () => {
    const { cwd, homeDir } = dirs();
    const config = loadConfig({ ANTON_HOME: 'srv' }, { cwd, homeDir, readEnvFiles: false });
    expect(config.home).toBe(path.join(cwd, 'srv'));
    expect(config.serviceDir).toBe(path.join(cwd, 'srv', '.anton', 'service'));
  });

  it('resolves memory and context directories against the home', () => {
    const { cwd, homeDir } = dirs();
    const home = path.join(scratch, 'anton-home');
    const config = loadConfig(
      { ANTON_HOME: home, ANTON_MEMORY_DIR: 'mem', ANTON_CONTEXT_DIR: '../ctx' },
      { cwd, homeDir, readEnvFiles: false },
    );
    expect(config.home).toBe(home);
    expect(config.memory.dir).toBe(path.join(home, 'mem'));
    expect(config.contextDir).toBe(path.join(scratch, 'ctx'));
  });

  it('keeps absolute memory and context directories', () => {
    const config = load({ ANTON_MEMORY_DIR: '/var/anton/mem', ANTON_CONTEXT_DIR: '/etc/anton/ctx' });
    expect(config.memory.dir).toBe('/var/anton/mem');
    expect(config.contextDir).toBe('/etc/anton/ctx');
  });

  it('resolves the workspaces root against the working directory, not the home', () => {
    const { cwd, homeDir } = dirs();
    const config = loadConfig(
      { ANTON_HOME: '/srv/anton', ANTON_WORKSPACES_ROOT: 'workspaces' },
      { cwd, homeDir, readEnvFiles: false },
    );
    expect(config.workspacesRoot).toBe(path.join(cwd, 'workspaces'));
  });
});

describe('the .env chain', () => {
  function chain(): { cwd: string; homeDir: string } {
    const { cwd, homeDir } = dirs();
    write(
      path.join(cwd, '.env'),
      [
        'ANTON_PLANNING_MODEL=from-cwd-env',
        'ANTON_CODING_MODEL=from-cwd-env',
        'ANTON_THEME=from-cwd-env',
        'ANTON_SERVICE_HOST=from-cwd-env',
        'DATABASE_URL=postgres://cwd-env/db',
        '# a comment',
        'ANTON_CONNECTOR_LOCAL_SQLITE_MAP=\'{"sales": "sales.db"}\'',
        '',
      ].join('\n'),
    );
    write(
      path.join(cwd, '.anton', '.env'),
      ['ANTON_CODING_MODEL=from-cwd-anton', 'ANTON_THEME=from-cwd-anton', 'ANTON_SERVICE_HOST=from-cwd-anton'].join('\n'),
    );
    write(path.join(homeDir, '.anton', '.env'), ['ANTON_THEME=from-user', 'ANTON_SERVICE_HOST=from-user'].join('\n'));
    return { cwd, homeDir };
  }

  it('lets later files win and the real environment beat all files', () => {
    const config = loadConfig({ ANTON_SERVICE_HOST: 'from-env' }, chain());
    expect(config.llm.planningModel).toBe('from-cwd-env');
    expect(config.llm.codingModel).toBe('from-cwd-anton');
    expect(config.theme).toBe('from-user');
    expect(config.host).toBe('from-env');
    expect(config.databaseUrl).toBe('postgres://cwd-env/db');
    expect(config.connector.localSqliteMap).toEqual({ sales: 'sales.db' });
  });

  it('lets a differently-cased environment variable beat an exact-case file entry', () => {
    expect(loadConfig({ anton_theme: 'from-env' }, chain()).theme).toBe('from-env');
  });

  it('skips a blank environment variable and uses the files', () => {
    expect(loadConfig({ ANTON_THEME: '' }, chain()).theme).toBe('from-user');
  });

  it('works with only some of the files present', () => {
    const { cwd, homeDir } = dirs();
    write(path.join(homeDir, '.anton', '.env'), 'ANTON_SERVICE_PORT=9100\n');
    expect(loadConfig({}, { cwd, homeDir }).port).toBe(9100);
  });

  it('ignores the files when readEnvFiles is false', () => {
    const config = loadConfig({}, { ...chain(), readEnvFiles: false });
    expect(config.theme).toBe('auto');
    expect(config.databaseUrl).toBeNull();
  });

  it('takes the SDK key fallback from the files too', () => {
    const { cwd, homeDir } = dirs();
    write(path.join(cwd, '.env'), 'ANTHROPIC_API_KEY=sk-file\n');
    expect(loadConfig({}, { cwd, homeDir }).llm.anthropicApiKey).toBe('sk-file');
  });

  it('reports bad values from files with the variable name', () => {
    const { cwd, homeDir } = dirs();
    write(path.join(cwd, '.anton', '.env'), 'ANTON_SERVICE_WORKER_MODE=threads\n');
    expect(() => loadConfig({}, { cwd, homeDir })).toThrow(
      new ConfigError("ANTON_SERVICE_WORKER_MODE must be one of local, queue (got 'threads')."),
    );
  });

  it('fails clearly when an env file cannot be read', () => {
    const { cwd, homeDir } = dirs();
    mkdirSync(path.join(cwd, '.env'));
    expect(() => loadConfig({}, { cwd, homeDir })).toThrow(ConfigError);
  });

  it('never changes the environment it was given', () => {
    const env = { ANTON_SERVICE_HOST: 'from-env' };
    loadConfig(env, chain());
    expect(env).toEqual({ ANTON_SERVICE_HOST: 'from-env' });
    expect(process.env.ANTON_CODING_MODEL).toBeUndefined();
  });
});

describe('settingsTable', () => {
  it('lists every setting once with a default and a description', () => {
    const names = settingsTable.map((row) => row.env);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['ANTON_SERVICE_PORT', 'DATABASE_URL', 'ANTON_CONNECTOR_POSTGRES_MAP']));
    expect(names).toHaveLength(46);
    for (const row of settingsTable) {
      expect(row.default).not.toBe('');
      expect(row.description).toMatch(/\.$/);
    }
  });

  it('matches docs/configuration.md', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const row of settingsTable) {
      const shown = row.default.startsWith('(') ? row.default : `\`${row.default}\``;
      expect(docs).toContain(`| \`${row.env}\` | ${shown} | ${row.description} |`);
    }
  });
});
