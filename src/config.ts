// Every setting of the service, read once at start-up into one typed object.
//
// One table (`SETTINGS`) drives everything: each entry names its environment variable, its default
// (as the raw text a user would write, fed through the same parser) and its meaning. The same table
// renders `settingsTable`, which feeds docs/configuration.md and the README.
//
// Sources, highest priority first: the real environment, then `<homeDir>/.anton/.env`, then
// `<cwd>/.anton/.env`, then `<cwd>/.env` (later files of the reference's chain win over earlier
// ones). A blank value counts as unset wherever it appears. `ANTON_*` names are case-insensitive
// like pydantic-settings; within one source an exact-case name wins over other spellings.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type Provider = 'anthropic' | 'openai' | 'openai-compatible';
export type WorkerMode = 'local' | 'queue';
export type ConnectorMode = 'none' | 'http' | 'local';

export interface Config {
  home: string;
  serviceDir: string;
  host: string;
  port: number;
  databaseUrl: string | null;
  workspacesRoot: string | null;
  apiTokens: string[];
  allowUnauthenticated: boolean;
  maxBodyBytes: number;
  workerMode: WorkerMode;
  queueWorkerCount: number;
  defaultWaitTimeoutSeconds: number;
  runLeaseSeconds: number;
  scheduler: { enabled: boolean; pollSeconds: number; batchSize: number; misfireGraceSeconds: number };
  llm: {
    planningProvider: Provider;
    planningModel: string;
    codingProvider: Provider;
    codingModel: string;
    anthropicApiKey: string | null;
    anthropicBaseUrl: string | null;
    openaiApiKey: string | null;
    openaiBaseUrl: string | null;
  };
  memory: { enabled: boolean; dir: string; recallMaxItems: number; recallMaxChars: number };
  contextDir: string;
  connector: {
    mode: ConnectorMode;
    apiBaseUrl: string | null;
    apiToken: string | null;
    apiPathPrefix: string;
    timeoutSeconds: number;
    localSqliteMap: Record<string, string>;
    postgresMap: Record<string, string>;
  };
  governance: {
    maxTokensPerRun: number;
    maxToolCallsPerRun: number;
    maxEstimatedSecondsWithoutApproval: number;
    connectorMaxQueryLimit: number;
    connectorRequireWhereOrLimit: boolean;
  };
  graphql: { maxDepth: number; maxComplexity: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  theme: string;
  disableAutoupdates: boolean;
}

/** A setting that cannot be used; the message names the variable. Start-up should stop on it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Directory for `./.env`, `./.anton/.env` and relative ANTON_HOME; default `process.cwd()`. */
  cwd?: string;
  /** Directory holding the user's `.anton/.env`; default `os.homedir()`. */
  homeDir?: string;
  /** Read the `.env` chain at all; default true. */
  readEnvFiles?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Setting kinds. Each parser receives a non-blank raw value and either returns the typed value or
// throws a ConfigError naming the variable.

interface Setting<T> {
  env: string;
  /** Raw default text, parsed like a user's value when the variable is unset. */
  default: string;
  /** What the docs show as the default when the raw text would read badly (e.g. ''); in parentheses. */
  shown?: string;
  description: string;
  /** Consulted when `env` is unset everywhere (e.g. the SDK's own ANTHROPIC_API_KEY). */
  fallbackEnv?: string;
  parse(raw: string): T;
}

function fail(env: string, expected: string, raw: string): never {
  const got = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  throw new ConfigError(`${env} must be ${expected} (got '${got}').`);
}

const text = (env: string, fallback: string, description: string): Setting<string> => ({
  env,
  default: fallback,
  description,
  parse: (raw) => raw.trim(),
});

const optionalText = (
  env: string,
  description: string,
  extra: { shown?: string; fallbackEnv?: string } = {},
): Setting<string | null> => ({
  env,
  default: '',
  shown: extra.shown ?? '(unset)',
  fallbackEnv: extra.fallbackEnv,
  description,
  parse: (raw) => raw.trim() || null,
});

// pydantic's lax booleans. A Map, so that names like 'constructor' are not found on a prototype.
const BOOLEAN_WORDS = new Map<string, boolean>([
  ...['1', 'true', 'yes', 'on', 't', 'y'].map((w): [string, boolean] => [w, true]),
  ...['0', 'false', 'no', 'off', 'f', 'n'].map((w): [string, boolean] => [w, false]),
]);

const flag = (env: string, fallback: boolean, description: string): Setting<boolean> => ({
  env,
  default: String(fallback),
  description,
  parse: (raw) =>
    BOOLEAN_WORDS.get(raw.trim().toLowerCase()) ??
    fail(env, 'a boolean such as true/false, yes/no, on/off or 1/0', raw),
});

/** `min`/`max` reject values outside the range; `clampMin` raises low values silently (reference). */
interface Bounds {
  min?: number;
  max?: number;
  clampMin?: number;
}

function expectation(kind: string, { min, max }: Bounds): string {
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  return kind;
}

function bounded(env: string, kind: string, value: number, raw: string, bounds: Bounds): number {
  const ok =
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max);
  if (!ok) fail(env, expectation(kind, bounds), raw);
  return bounds.clampMin === undefined ? value : Math.max(bounds.clampMin, value);
}

// "60" and "60.0" are integers (pydantic lax mode); "60.5", "1e3" and "0x10" are not.
const INTEGER = /^[+-]?\d+(\.0*)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const integer = (env: string, fallback: number, description: string, bounds: Bounds = {}): Setting<number> => ({
  env,
  default: String(fallback),
  description,
  parse: (raw) => {
    const value = INTEGER.test(raw.trim()) ? Number(raw.trim()) + 0 : NaN; // + 0 turns -0 into 0
    if (!Number.isSafeInteger(value)) fail(env, expectation('an integer', bounds), raw);
    return bounded(env, 'an integer', value, raw, bounds);
  },
});

const decimal = (env: string, fallback: string, description: string, bounds: Bounds = {}): Setting<number> => ({
  env,
  default: fallback,
  description,
  parse: (raw) => bounded(env, 'a number', NUMBER.test(raw.trim()) ? Number(raw.trim()) : NaN, raw, bounds),
});

/** Trimmed and lowercased, then it must be one of `options` (no silent fallback). */
const oneOf = <const T extends string>(
  env: string,
  options: readonly T[],
  fallback: T,
  description: string,
): Setting<T> => ({
  env,
  default: fallback,
  description: `${description} One of ${options.join(', ')}.`,
  parse: (raw) => {
    const value = raw.trim().toLowerCase();
    return options.find((option) => option === value) ?? fail(env, `one of ${options.join(', ')}`, raw);
  },
});

const commaList = (env: string, description: string): Setting<string[]> => ({
  env,
  default: '',
  shown: '(none)',
  description,
  parse: (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
});

const stringMap = (env: string, example: string, description: string): Setting<Record<string, string>> => ({
  env,
  default: '{}',
  description,
  parse: (raw) => {
    const expected = `a JSON object whose values are strings, like ${example}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      fail(env, expected, raw);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(env, expected, raw);
    const entries = Object.entries(value);
    if (!entries.every(([, v]) => typeof v === 'string')) fail(env, expected, raw);
    // fromEntries defines own data properties, so a key like "__proto__" stays plain data.
    return Object.fromEntries(entries) as Record<string, string>;
  },
});

// ---------------------------------------------------------------------------------------------
// The table. Order is the order of the docs.

const PROVIDERS = ['anthropic', 'openai', 'openai-compatible'] as const satisfies readonly Provider[];

const SETTINGS = {
  // Service
  home: optionalText(
    'ANTON_HOME',
    'Service home: holds .anton/service, and relative memory and context directories resolve against it. A relative value resolves against the working directory.',
    { shown: '(the working directory)' },
  ),
  host: text('ANTON_SERVICE_HOST', '127.0.0.1', 'Interface the HTTP server listens on.'),
  port: integer('ANTON_SERVICE_PORT', 8000, 'TCP port of the HTTP server; 0 picks a free port.', { min: 0, max: 65535 }),
  databaseUrl: optionalText('DATABASE_URL', 'PostgreSQL connection URL (no ANTON_ prefix, exact case); unset: an embedded PostgreSQL under ANTON_HOME/.anton/service/pgdata.'),
  workspacesRoot: optionalText(
    'ANTON_WORKSPACES_ROOT',
    'When set, session workspaces must lie inside this directory. A relative value resolves against the working directory.',
  ),
  apiTokens: commaList('ANTON_API_TOKENS', 'Comma-separated bearer tokens the API accepts; blanks are dropped.'),
  allowUnauthenticated: flag('ANTON_ALLOW_UNAUTHENTICATED', false, 'Allow listening on a non-loopback host without ANTON_API_TOKENS (start-up refuses otherwise).'),
  maxBodyBytes: integer('ANTON_SERVICE_MAX_BODY_BYTES', 1048576, 'Largest accepted request body, in bytes.', {
    min: 1024,
  }),
  // Runs and workers
  workerMode: oneOf('ANTON_SERVICE_WORKER_MODE', ['local', 'queue'], 'local', 'Where runs execute.'),
  queueWorkerCount: integer('ANTON_SERVICE_QUEUE_WORKER_COUNT', 2, 'Queue workers per process (raised to at least 1).', {
    clampMin: 1,
  }),
  defaultWaitTimeoutSeconds: decimal(
    'ANTON_SERVICE_DEFAULT_WAIT_TIMEOUT_SECONDS',
    '300',
    'Wait timeout used when a caller gives none (e.g. scheduled runs), in seconds.',
    { min: 0 },
  ),
  runLeaseSeconds: integer(
    'ANTON_SERVICE_RUN_LEASE_SECONDS',
    30,
    'Lease a worker holds on a running run; a run whose lease lapses is failed as interrupted.',
    { min: 1 },
  ),
  schedulerEnabled: flag('ANTON_SERVICE_SCHEDULER_ENABLED', false, 'Fire due scheduled runs automatically.'),
  schedulerPollSeconds: decimal(
    'ANTON_SERVICE_SCHEDULER_POLL_SECONDS',
    '5.0',
    'Seconds between scheduler polls (raised to at least 0.1).',
    { clampMin: 0.1 },
  ),
  schedulerBatchSize: integer(
    'ANTON_SERVICE_SCHEDULER_BATCH_SIZE',
    20,
    'Most schedules one process fires at once (raised to at least 1).',
    { clampMin: 1 },
  ),
  schedulerMisfireGraceSeconds: decimal(
    'ANTON_SERVICE_SCHEDULER_MISFIRE_GRACE_SECONDS',
    '5.0',
    'A slot fired late by less than this still fires (each once); older missed slots are skipped.',
    { min: 0 },
  ),
  // Models
  planningProvider: oneOf('ANTON_PLANNING_PROVIDER', PROVIDERS, 'anthropic', 'Provider of the agent loop.'),
  planningModel: text('ANTON_PLANNING_MODEL', 'claude-sonnet-4-6', 'Model of the agent loop.'),
  codingProvider: oneOf(
    'ANTON_CODING_PROVIDER',
    PROVIDERS,
    'anthropic',
    'Provider of the scratchpad model; decides which API key the scratchpad gets.',
  ),
  codingModel: text('ANTON_CODING_MODEL', 'claude-haiku-4-5-20251001', 'Model used inside the scratchpad.'),
  anthropicApiKey: optionalText('ANTON_ANTHROPIC_API_KEY', 'Anthropic API key; falls back to ANTHROPIC_API_KEY.', {
    fallbackEnv: 'ANTHROPIC_API_KEY',
  }),
  anthropicBaseUrl: optionalText('ANTON_ANTHROPIC_BASE_URL', 'Alternative Anthropic API endpoint.'),
  openaiApiKey: optionalText('ANTON_OPENAI_API_KEY', 'OpenAI (or compatible) API key; falls back to OPENAI_API_KEY.', {
    fallbackEnv: 'OPENAI_API_KEY',
  }),
  openaiBaseUrl: optionalText('ANTON_OPENAI_BASE_URL', 'Endpoint of an OpenAI-compatible API.'),
  // Memory and context
  memoryEnabled: flag('ANTON_MEMORY_ENABLED', true, 'Recall memory into runs.'),
  memoryDir: text('ANTON_MEMORY_DIR', '.anton', 'Memory directory; a relative value resolves against ANTON_HOME.'),
  memoryRecallMaxItems: integer(
    'ANTON_MEMORY_RECALL_MAX_ITEMS',
    4,
    'Most memory entries recalled into a run (raised to at least 1).',
    { clampMin: 1 },
  ),
  memoryRecallMaxChars: integer(
    'ANTON_MEMORY_RECALL_MAX_CHARS',
    4000,
    'Most characters of recalled memory (raised to at least 1000).',
    { clampMin: 1000 },
  ),
  contextDir: text(
    'ANTON_CONTEXT_DIR',
    '.anton/context',
    'Service-wide self-awareness files; a relative value resolves against ANTON_HOME.',
  ),
  // Connectors
  connectorMode: oneOf('ANTON_CONNECTOR_MODE', ['none', 'http', 'local'], 'none', 'How data connectors are reached.'),
  connectorApiBaseUrl: optionalText('ANTON_CONNECTOR_API_BASE_URL', 'Base URL of the HTTP connector bridge.'),
  connectorApiToken: optionalText('ANTON_CONNECTOR_API_TOKEN', 'Bearer token sent to the HTTP connector bridge.'),
  connectorApiPathPrefix: text('ANTON_CONNECTOR_API_PATH_PREFIX', '/v1', 'Path prefix of the HTTP connector bridge.'),
  connectorTimeoutSeconds: decimal(
    'ANTON_CONNECTOR_TIMEOUT_SECONDS',
    '30',
    'Timeout of HTTP connector bridge calls, in seconds.',
    { min: 0 },
  ),
  connectorLocalSqliteMap: stringMap(
    'ANTON_CONNECTOR_LOCAL_SQLITE_MAP',
    '{"sales": "/data/sales.db"}',
    'Local SQLite connectors as a JSON object of connector id to file path.',
  ),
  connectorPostgresMap: stringMap(
    'ANTON_CONNECTOR_POSTGRES_MAP',
    '{"warehouse": "postgres://..."}',
    'Local PostgreSQL connectors as a JSON object of connector id to connection URL.',
  ),
  // Governance
  maxTokensPerRun: integer('ANTON_MAX_TOKENS_PER_RUN', 100000, 'Token budget of one run.', { min: 0 }),
  maxToolCallsPerRun: integer('ANTON_MAX_TOOL_CALLS_PER_RUN', 60, 'Tool-call budget of one run.', { min: 0 }),
  maxEstimatedSecondsWithoutApproval: integer(
    'ANTON_MAX_ESTIMATED_SECONDS_WITHOUT_APPROVAL',
    90,
    'Scratchpad executions estimated to take longer than this many seconds need approval.',
    { min: 0 },
  ),
  connectorMaxQueryLimit: integer(
    'ANTON_CONNECTOR_MAX_QUERY_LIMIT',
    10000,
    'Cap on the row limit of a connector query.',
    { min: 1 },
  ),
  connectorRequireWhereOrLimit: flag(
    'ANTON_CONNECTOR_REQUIRE_WHERE_OR_LIMIT',
    true,
    'A SELECT with neither WHERE nor LIMIT needs approval.',
  ),
  // GraphQL
  graphqlMaxDepth: integer('ANTON_GRAPHQL_MAX_DEPTH', 12, 'Deepest GraphQL selection accepted.', { min: 1 }),
  graphqlMaxComplexity: integer('ANTON_GRAPHQL_MAX_COMPLEXITY', 5000, 'Highest GraphQL query complexity accepted.', {
    min: 1,
  }),
  // CLI
  logLevel: oneOf('ANTON_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info', 'Least severe level written to the log (JSON lines on stderr).'),
  theme: text('ANTON_THEME', 'auto', 'Colour theme of the CLI.'),
  disableAutoupdates: flag('ANTON_DISABLE_AUTOUPDATES', false, 'Skip the CLI start-up update check.'),
} satisfies Record<string, Setting<unknown>>;

type Values = { [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

/** Every setting with its env name, default and meaning, in documentation order. */
export const settingsTable: ReadonlyArray<{ env: string; default: string; description: string }> = Object.freeze(
  Object.values(SETTINGS).map((s: Setting<unknown>) =>
    Object.freeze({ env: s.env, default: s.shown ?? s.default, description: s.description }),
  ),
);

// ---------------------------------------------------------------------------------------------
// Sources.

type Source = Readonly<Record<string, string | undefined>>;

/** Finds a name in one source: exact case first, then (for ANTON_* only) any spelling. */
function find(source: Source, name: string): string | undefined {
  const exact = Object.hasOwn(source, name) ? source[name] : undefined;
  if (exact !== undefined || !name.startsWith('ANTON_')) return exact;
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && key.toUpperCase() === name) return value;
  }
  return undefined;
}

function readEnvFile(file: string): Source {
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Could not read the env file ${file} (${(error as Error).message}).`);
  }
}

/** Sources in priority order: the environment, then the `.env` chain with its last file first. */
function sources(env: Source, cwd: string, homeDir: string, readEnvFiles: boolean): Source[] {
  if (!readEnvFiles) return [env];
  const chain = [path.join(cwd, '.env'), path.join(cwd, '.anton', '.env'), path.join(homeDir, '.anton', '.env')];
  return [env, ...chain.reverse().map(readEnvFile)];
}

function readAll(lookup: (name: string) => string | undefined): Values {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = lookup(setting.env) ?? (setting.fallbackEnv === undefined ? undefined : lookup(setting.fallbackEnv));
    values[key] = setting.parse(raw ?? setting.default);
  }
  return values as Values;
}

// ---------------------------------------------------------------------------------------------

/** Reads every setting once. Throws ConfigError naming the first unusable variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const homeDir = path.resolve(options.homeDir ?? os.homedir());
  const ordered = sources(env, cwd, homeDir, options.readEnvFiles ?? true);
  // The first source with a non-blank value wins; a blank value counts as unset.
  const lookup = (name: string): string | undefined =>
    ordered.map((source) => find(source, name)).find((value) => value !== undefined && value.trim() !== '');

  const v = readAll(lookup);
  const home = path.resolve(cwd, v.home ?? '.');
  return {
    home,
    serviceDir: path.join(home, '.anton', 'service'),
    host: v.host,
    port: v.port,
    databaseUrl: v.databaseUrl,
    workspacesRoot: v.workspacesRoot === null ? null : path.resolve(cwd, v.workspacesRoot),
    apiTokens: v.apiTokens,
    allowUnauthenticated: v.allowUnauthenticated,
    maxBodyBytes: v.maxBodyBytes,
    workerMode: v.workerMode,
    queueWorkerCount: v.queueWorkerCount,
    defaultWaitTimeoutSeconds: v.defaultWaitTimeoutSeconds,
    runLeaseSeconds: v.runLeaseSeconds,
    scheduler: {
      enabled: v.schedulerEnabled,
      pollSeconds: v.schedulerPollSeconds,
      batchSize: v.schedulerBatchSize,
      misfireGraceSeconds: v.schedulerMisfireGraceSeconds,
    },
    llm: {
      planningProvider: v.planningProvider,
      planningModel: v.planningModel,
      codingProvider: v.codingProvider,
      codingModel: v.codingModel,
      anthropicApiKey: v.anthropicApiKey,
      anthropicBaseUrl: v.anthropicBaseUrl,
      openaiApiKey: v.openaiApiKey,
      openaiBaseUrl: v.openaiBaseUrl,
    },
    memory: {
      enabled: v.memoryEnabled,
      dir: path.resolve(home, v.memoryDir),
      recallMaxItems: v.memoryRecallMaxItems,
      recallMaxChars: v.memoryRecallMaxChars,
    },
    contextDir: path.resolve(home, v.contextDir),
    connector: {
      mode: v.connectorMode,
      apiBaseUrl: v.connectorApiBaseUrl,
      apiToken: v.connectorApiToken,
      apiPathPrefix: v.connectorApiPathPrefix,
      timeoutSeconds: v.connectorTimeoutSeconds,
      localSqliteMap: v.connectorLocalSqliteMap,
      postgresMap: v.connectorPostgresMap,
    },
    governance: {
      maxTokensPerRun: v.maxTokensPerRun,
      maxToolCallsPerRun: v.maxToolCallsPerRun,
      maxEstimatedSecondsWithoutApproval: v.maxEstimatedSecondsWithoutApproval,
      connectorMaxQueryLimit: v.connectorMaxQueryLimit,
      connectorRequireWhereOrLimit: v.connectorRequireWhereOrLimit,
    },
    graphql: { maxDepth: v.graphqlMaxDepth, maxComplexity: v.graphqlMaxComplexity },
    logLevel: v.logLevel,
    theme: v.theme,
    disableAutoupdates: v.disableAutoupdates,
  };
}
