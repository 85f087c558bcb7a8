// The scratchpads of one session: named, persistent Python processes whose working directory is
// the session workspace (reference-behaviour.md §10.4 item 1). Variables, imports and open files
// survive from one cell to the next until the process is reset, removed, killed by a timeout or a
// cancellation, or dies.
//
// Every action returns the text the model sees; nothing here throws for a bad input or a failing
// cell. Actions on one scratchpad run one at a time, in call order.
//
// On disk: `<workspace>/.anton/scratchpad/<name>/packages`, the `pip install --target` folder of
// that scratchpad (the reference gave each scratchpad a virtualenv instead; a target folder on
// sys.path does the same job without one). `reset` keeps it, `remove` deletes it.
//
// The process environment is NOT the service's: it gets a small allow-list of the service's
// variables (PATH, HOME, locale, temp dirs, proxies, CA bundles, pip and pyenv settings, see
// INHERITED_ENV) plus `env` from the options, so database URLs, provider keys and ANTON_* settings
// never reach model-written code unless the caller passes them on purpose.

import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cellTimeouts, codePointLength, fenced, headCodePoints } from './format.js';
import { PadProcess, ScratchpadStartError } from './process.js';
import { runPipInstall } from './pip.js';
import { errorMessage } from '../../../errors.js';

export const NAME_REQUIRED = 'Scratchpad name is required.';
export const NO_CODE = 'No code provided.';
export const NO_PACKAGES = 'No packages specified.';
/** How a `dump` notebook starts (anything else `dump` returns is an error text). */
export const DUMP_HEADING = '# Scratchpad: ';
export const noScratchpad = (name: string): string => `No scratchpad named '${name}'.`;
export const unknownAction = (action: string): string => `Unknown scratchpad action: ${action}`;
export const pythonMissing = (python: string): string => `Python 3 is not available on this machine (tried '${python}').`;

/** Default time limits outside cells. */
const DEFAULT_INSTALL_TIMEOUT_MS = 600_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** How much of a cell's result `view` shows. */
const VIEW_RESULT_CHARS = 300;

const INHERITED_ENV = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TEMP', 'TMP',
  'LD_LIBRARY_PATH', 'SYSTEMROOT', 'VIRTUAL_ENV',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE',
]);
const INHERITED_ENV_PREFIXES = ['LC_', 'PIP_', 'PYENV_'];

export interface ScratchpadManagerOptions {
  /** The session workspace (absolute): every scratchpad's working directory. */
  workspacePath: string;
  /** The Python 3 interpreter (a name on PATH or a path). Default `python3`. */
  python?: string;
  /** Extra environment variables for the processes (and pip), on top of INHERITED_ENV. */
  env?: Record<string, string>;
  /** Multiplies both cell timeouts (tests use e.g. 0.01 to get 1.2 s / 0.3 s). Default 1. */
  timeScale?: number;
  /** Limit for one `pip install`. Default 600 s. */
  installTimeoutMs?: number;
  /** Limit for a process to start and report ready. Default 30 s. */
  startTimeoutMs?: number;
}

export interface ExecOptions {
  /** The model's `estimated_execution_time_seconds` (already read with Python's int()); sets the timeouts. */
  estimatedSeconds?: number;
  /** Installed first (as `install` does); if that fails the cell is not run. */
  packages?: readonly string[];
  /** Aborting kills the scratchpad's process (its state is lost) and the call resolves at once. */
  signal?: AbortSignal;
  /** The model's `one_line_description`, shown by `view` and `dump`. */
  description?: string;
  /** Messages the cell sends with `progress(...)`. */
  onProgress?: (message: string) => void;
}

interface Cell {
  number: number;
  code: string;
  description: string;
  result: string;
  /** The process died with this cell (timeout, cancellation, crash). */
  processLost: boolean;
}

interface Pad {
  name: string;
  dir: string;
  packagesDir: string;
  process: PadProcess | null;
  cells: Cell[];
  nextCell: number;
  /** What `install` (or exec's `packages`) installed, as asked (pip options left out). */
  packages: string[];
  /** Packages changed since the process last looked: the next exec asks it to re-read them. */
  refresh: boolean;
}

/** A folder name for a scratchpad: the name itself when it is tame, else a cleaned name plus a hash. */
export function padFolderName(name: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(name)) return name;
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
  return `${cleaned}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

function shortResult(text: string): string {
  const size = codePointLength(text);
  return size > VIEW_RESULT_CHARS ? `${headCodePoints(text, VIEW_RESULT_CHARS)}… (${size} characters in all)` : text;
}

export class ScratchpadManager {
  private readonly workspacePath: string;
  private readonly python: string;
  private readonly env: Record<string, string>;
  private readonly timeScale: number;
  private readonly installTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly pads = new Map<string, Pad>();
  /** Every process this manager started that has not exited, starting ones included. */
  private readonly processes = new Set<PadProcess>();
  /** Per scratchpad name, the tail of its queue of actions. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private pythonChecked: Promise<string | null> | null = null;

  constructor(options: ScratchpadManagerOptions) {
    this.workspacePath = path.resolve(options.workspacePath);
    this.python = options.python ?? 'python3';
    this.timeScale = options.timeScale ?? 1;
    this.installTimeoutMs = options.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value === undefined) continue;
      if (INHERITED_ENV.has(key) || INHERITED_ENV_PREFIXES.some((prefix) => key.startsWith(prefix))) env[key] = value;
    }
    this.env = {
      MPLBACKEND: 'Agg', // no display: matplotlib must not try to open a window
      ...env,
      ...options.env,
      // The manager reads the cell's output as it is written, decoded as UTF-8.
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8:backslashreplace',
    };
  }

  /** Names of the scratchpads that exist, in creation order. */
  names(): string[] {
    return [...this.pads.keys()];
  }

  /** The process id of a scratchpad's running process (diagnostics and tests). */
  pid(name: string): number | undefined {
    const process = this.pads.get(name)?.process;
    return process?.alive ? process.pid : undefined;
  }

  /** Runs `code` in the scratchpad `name`, creating it (and its process) when needed. */
  async exec(name: string, code: string, options: ExecOptions = {}): Promise<string> {
    if (isBlank(name)) return NAME_REQUIRED;
    if (isBlank(code)) return NO_CODE;
    const missing = await this.checkPython();
    if (missing !== null) return missing;
    return this.serial(name, async () => {
      if (options.signal?.aborted) return 'Cancelled: the cell was not run.';
      const pad = this.padFor(name);
      const packages = (options.packages ?? []).filter((entry) => !isBlank(entry));
      if (packages.length > 0) {
        const installed = await this.installInto(pad, packages, options.signal);
        if (installed !== null) return `${installed}\nThe cell was not run.`;
      }
      const started = await this.processFor(pad);
      if (typeof started === 'string') return started;
      const { totalSeconds, inactivitySeconds } = cellTimeouts(options.estimatedSeconds ?? 0);
      const number = pad.nextCell;
      pad.nextCell += 1;
      const refresh = pad.refresh;
      pad.refresh = false;
      const outcome = await started.runCell({
        code,
        cell: number,
        refresh,
        estimateSeconds: options.estimatedSeconds ?? 0,
        totalMs: totalSeconds * 1000 * this.timeScale,
        inactivityMs: inactivitySeconds * 1000 * this.timeScale,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      if (outcome.processLost && pad.process === started) pad.process = null;
      // A reset or remove may have replaced the pad meanwhile: record the cell only where it ran.
      if (this.pads.get(name) === pad) {
        pad.cells.push({
          number,
          code,
          description: options.description ?? '',
          result: outcome.text,
          processLost: outcome.processLost,
        });
      }
      return outcome.text;
    });
  }

  /** Lists the cells run so far, numbered, with their code and the start of their result. */
  async view(name: string): Promise<string> {
    const problem = await this.checkExisting(name);
    if (problem !== null) return problem;
    return this.serial(name, async () => {
      const pad = this.pads.get(name);
      if (pad === undefined) return noScratchpad(name);
      const running = pad.process?.alive ? `process running (pid ${pad.process.pid})` : 'no process running';
      const packages = pad.packages.length > 0 ? pad.packages.join(', ') : 'none';
      const count = pad.cells.length === 1 ? '1 cell' : `${pad.cells.length} cells`;
      const header = `Scratchpad '${name}': ${count}, ${running}, installed packages: ${packages}.`;
      if (pad.cells.length === 0) return `${header}\nNo cells have run yet.`;
      const cells = pad.cells.map((cell) => {
        const title = cell.description === '' ? `Cell ${cell.number}` : `Cell ${cell.number}: ${cell.description}`;
        const lost = cell.processLost ? '\n(The process died with this cell: variables from earlier cells are gone.)' : '';
        return `${title}\n${fenced(cell.code, 'python')}\nResult:\n${shortResult(cell.result)}${lost}`;
      });
      return [header, ...cells].join('\n\n');
    });
  }

  /** The cells and their results as a markdown notebook. */
  async dump(name: string): Promise<string> {
    const problem = await this.checkExisting(name);
    if (problem !== null) return problem;
    return this.serial(name, async () => {
      const pad = this.pads.get(name);
      if (pad === undefined) return noScratchpad(name);
      const parts = [`${DUMP_HEADING}${name}`];
      if (pad.cells.length === 0) parts.push('_No cells have run yet._');
      for (const cell of pad.cells) {
        const title = cell.description === '' ? `## Cell ${cell.number}` : `## Cell ${cell.number}: ${cell.description}`;
        parts.push(title, fenced(cell.code, 'python'), fenced(cell.result, 'text'));
        if (cell.processLost) parts.push('_The process died with this cell; its state was lost._');
      }
      return `${parts.join('\n\n')}\n`;
    });
  }

  /** Restarts the process: cells and variables are forgotten, installed packages kept. */
  async reset(name: string): Promise<string> {
    const problem = await this.checkExisting(name);
    if (problem !== null) return problem;
    return this.serial(name, async () => {
      const pad = this.pads.get(name);
      if (pad === undefined) return noScratchpad(name);
      await this.stop(pad);
      pad.cells = [];
      pad.nextCell = 1;
      pad.refresh = false;
      const started = await this.processFor(pad);
      if (typeof started === 'string') return started;
      return `Scratchpad '${name}' was reset: a fresh process with no variables and no cells. Installed packages are kept.`;
    });
  }

  /** Kills the process, forgets the scratchpad and deletes its installed packages. */
  async remove(name: string): Promise<string> {
    const problem = await this.checkExisting(name);
    if (problem !== null) return problem;
    return this.serial(name, async () => {
      const pad = this.pads.get(name);
      if (pad === undefined) return noScratchpad(name);
      this.pads.delete(name);
      await this.stop(pad);
      await rm(pad.dir, { recursive: true, force: true });
      return `Scratchpad '${name}' removed: its process was stopped and its installed packages deleted.`;
    });
  }

  /** `pip install --target` into the scratchpad's packages folder, creating the scratchpad when needed. */
  async install(name: string, packages: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
    if (isBlank(name)) return NAME_REQUIRED;
    const wanted = packages.filter((entry) => !isBlank(entry));
    if (wanted.length === 0) return NO_PACKAGES;
    const missing = await this.checkPython();
    if (missing !== null) return missing;
    return this.serial(name, async () => {
      const pad = this.padFor(name);
      const failure = await this.installInto(pad, wanted, options.signal);
      if (failure !== null) return failure;
      const note = pad.process?.alive
        ? ' They can be imported in the next cell; a module the process had already imported keeps its old version until reset.'
        : '';
      return `Installed into scratchpad '${name}': ${wanted.join(' ')}.${note}`;
    });
  }

  /** Kills every process (shutdown, session eviction) and forgets every scratchpad. Idempotent. */
  async closeAll(): Promise<void> {
    const running = [...this.processes];
    for (const pad of this.pads.values()) pad.process = null;
    this.pads.clear();
    await Promise.all(running.map((process) => process.kill()));
  }

  // -------------------------------------------------------------------------------------------

  /** Runs `task` after every earlier action on the same scratchpad name. */
  private serial<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.queues.set(name, tail);
    void tail.then(() => {
      if (this.queues.get(name) === tail) this.queues.delete(name);
    });
    return run;
  }

  /** The shared checks of view, dump, reset and remove. */
  private async checkExisting(name: string): Promise<string | null> {
    if (isBlank(name)) return NAME_REQUIRED;
    const missing = await this.checkPython();
    if (missing !== null) return missing;
    return this.pads.has(name) ? null : noScratchpad(name);
  }

  /** null when the interpreter runs and is Python 3.8+, else the message to return. Success is remembered. */
  private checkPython(): Promise<string | null> {
    if (this.pythonChecked !== null) return this.pythonChecked;
    const check = new Promise<string | null>((resolve) => {
      try {
        const child = spawn(this.python, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 3)'], {
          stdio: 'ignore',
          env: this.env,
        });
        child.on('error', () => resolve(pythonMissing(this.python)));
        child.once('exit', (code) => resolve(code === 0 ? null : pythonMissing(this.python)));
      } catch {
        resolve(pythonMissing(this.python)); // an interpreter path spawn() cannot even pass (a NUL byte)
      }
    });
    this.pythonChecked = check;
    void check.then((result) => {
      if (result !== null) this.pythonChecked = null; // try again next time: it may be installed later
    });
    return check;
  }

  private padFor(name: string): Pad {
    let pad = this.pads.get(name);
    if (pad === undefined) {
      const dir = path.join(this.workspacePath, '.anton', 'scratchpad', padFolderName(name));
      pad = { name, dir, packagesDir: path.join(dir, 'packages'), process: null, cells: [], nextCell: 1, packages: [], refresh: false };
      this.pads.set(name, pad);
    }
    return pad;
  }

  /** The pad's running process, started if needed, or the error text when it cannot start. */
  private async processFor(pad: Pad): Promise<PadProcess | string> {
    if (pad.process?.alive) return pad.process;
    pad.process = null;
    // The folder must exist before the process starts: Python caches "no such folder" for sys.path entries.
    await mkdir(pad.packagesDir, { recursive: true });
    let started: PadProcess;
    try {
      started = new PadProcess({
        python: this.python,
        cwd: this.workspacePath,
        env: this.env,
        packagesDir: pad.packagesDir,
        startTimeoutMs: this.startTimeoutMs,
      });
    } catch (error) {
      // spawn() throws for arguments it cannot pass at all (a NUL byte in the interpreter's path).
      return `Scratchpad '${pad.name}' failed to start: ${errorMessage(error)}`;
    }
    this.processes.add(started);
    void started.exited.then(() => this.processes.delete(started));
    try {
      await started.ready;
    } catch (error) {
      await started.kill();
      if (error instanceof ScratchpadStartError && (error.code === 'ENOENT' || error.code === 'EACCES')) {
        return pythonMissing(this.python);
      }
      return `Scratchpad '${pad.name}' failed to start: ${errorMessage(error)}`;
    }
    pad.process = started;
    pad.refresh = false;
    return started;
  }

  /** Installs into the pad's folder; null on success, else the failure text. */
  private async installInto(pad: Pad, packages: readonly string[], signal?: AbortSignal): Promise<string | null> {
    await mkdir(pad.packagesDir, { recursive: true });
    const outcome = await runPipInstall({
      python: this.python,
      targetDir: pad.packagesDir,
      packages,
      cwd: this.workspacePath,
      env: this.env,
      timeoutMs: this.installTimeoutMs,
      signal,
    });
    if (!outcome.ok) return outcome.text;
    pad.refresh = true;
    for (const entry of packages) {
      if (!entry.startsWith('-') && !pad.packages.includes(entry)) pad.packages.push(entry);
    }
    return null;
  }

  private async stop(pad: Pad): Promise<void> {
    const running = pad.process;
    pad.process = null;
    if (running !== null) await running.kill();
  }
}
