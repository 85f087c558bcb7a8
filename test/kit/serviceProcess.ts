// The real service in a CHILD PROCESS (test/kit/serviceProcessMain.ts run by `node --import tsx`),
// on a test database shared with the test: a test can SIGKILL it like a crashed worker, or run it
// beside in-process services as a second service process.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Script } from './agents.js';
import type { TestDatabase } from './db.js';
import { makeHome, readRestResponse, type RestResponse } from './service.js';

const MAIN = fileURLToPath(new URL('./serviceProcessMain.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcessOptions {
  /** The database the child uses (the test keeps ownership: it is not dropped here). */
  database: TestDatabase;
  /** The child's ANTON_HOME; default: a fresh temp folder removed by dispose(). */
  home?: string;
  /** Extra ANTON_* settings (worker mode, lease seconds, ...). */
  env?: Record<string, string>;
  /** The child's ScriptedAgent: scripts by message, and the fallback script. */
  scripts?: Record<string, Script>;
  fallback?: Script;
  /** How long the child may take to print its URL; default 30 s. */
  startTimeoutMs?: number;
}

/** One line the child printed (see serviceProcessMain.ts). */
export interface ChildMessage {
  type: 'ready' | 'agent_started' | 'agent_finished';
  url?: string;
  pid?: number;
  run_id?: string;
  session_id?: string;
  message?: string;
  at?: number;
  outcome?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  url: string;
  pid: number;
  home: string;
  /** Every line the child printed so far, in order. */
  readonly messages: ChildMessage[];
  /** Resolves with the first message (already printed or to come) matching `match`. */
  waitForMessage(match: (message: ChildMessage) => boolean, timeoutMs?: number, what?: string): Promise<ChildMessage>;
  rest(method: string, urlPath: string, body?: unknown): Promise<RestResponse>;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ChildExit>;
  readonly exited: Promise<ChildExit>;
  /** What the child wrote on stderr (its log), for failure messages. */
  stderr(): string;
  /** Stops the child (SIGTERM, then SIGKILL after 5 s) and removes a home it created. Idempotent. */
  dispose(): Promise<void>;
}

/** Environment for the child: ours minus any ANTON_* setting, plus the test's own. */
function childEnv(options: ServiceProcessOptions, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toUpperCase().startsWith('ANTON_') && name !== 'DATABASE_URL' && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return {
    ...env,
    DATABASE_URL: options.database.url,
    ANTON_HOME: home,
    ANTON_SERVICE_PORT: '0',
    ANTON_SERVICE_HOST: '127.0.0.1',
    ANTON_TEST_AGENT_SCRIPTS: JSON.stringify(options.scripts ?? {}),
    ...(options.fallback ? { ANTON_TEST_AGENT_FALLBACK: JSON.stringify(options.fallback) } : {}),
    ...options.env,
  };
}

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const ownHome = options.home === undefined;
  const home = options.home ?? (await makeHome());
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: childEnv(options, home),
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  const messages: ChildMessage[] = [];
  const watchers = new Set<(message: ChildMessage) => void>();
  let stderrText = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrText = (stderrText + chunk).slice(-20_000);
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // Spawning itself failed: there will be no 'exit'.
    child.once('error', (error) => {
      stderrText += `\nspawn failed: ${error.message}`;
      resolve({ code: null, signal: null });
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let message: ChildMessage;
    try {
      message = JSON.parse(line) as ChildMessage;
    } catch {
      return; // not a protocol line
    }
    messages.push(message);
    for (const watcher of [...watchers]) watcher(message);
  });

  const waitForMessage: ServiceProcess['waitForMessage'] = (match, timeoutMs = 10_000, what = 'a message from the service process') => {
    const already = messages.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const watcher = (message: ChildMessage): void => {
        if (!match(message)) return;
        cleanup();
        resolve(message);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Child stderr:\n${stderrText}`));
      }, timeoutMs);
      void exited.then((exit) => {
        if (!watchers.has(watcher)) return;
        cleanup();
        reject(new Error(`The service process exited (${JSON.stringify(exit)}) while waiting for ${what}. Child stderr:\n${stderrText}`));
      });
      const cleanup = (): void => {
        clearTimeout(timer);
        watchers.delete(watcher);
      };
      watchers.add(watcher);
    });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ChildExit> => {
    if (!hasExited) child.kill(signal);
    return exited;
  };

  let disposing: Promise<void> | null = null;
  const dispose = (): Promise<void> => {
    disposing ??= (async () => {
      if (!hasExited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      lines.close();
      if (ownHome) await rm(home, { recursive: true, force: true });
    })();
    return disposing;
  };

  let ready: ChildMessage;
  try {
    ready = await waitForMessage((message) => message.type === 'ready', options.startTimeoutMs ?? 30_000, 'the service process to listen');
  } catch (error) {
    await dispose();
    throw error;
  }
  const url = ready.url!;

  const rest: ServiceProcess['rest'] = async (method, urlPath, body) => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    return readRestResponse(await fetch(url + urlPath, init));
  };

  return {
    url,
    pid: child.pid!,
    home,
    messages,
    waitForMessage,
    rest,
    kill,
    exited,
    stderr: () => stderrText,
    dispose,
  };
}
