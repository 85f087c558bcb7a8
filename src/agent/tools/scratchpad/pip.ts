// `pip install --target <folder>` for one scratchpad: no virtualenv; the scratchpad's driver puts
// the folder on sys.path, ahead of the system's site-packages. Entries of `packages` go to pip as
// separate arguments, as given (no shell): requirement specifiers, or pip options such as
// `--index-url=…`. The model can run any Python anyway, so these grant it nothing new.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { formatSeconds } from './format.js';
import { errorMessage } from '../../../errors.js';

/** Lines of pip's output a failure report quotes. */
const FAILURE_LINES = 15;
/** pip's output is kept up to this many characters (its end), enough for FAILURE_LINES. */
const KEPT_OUTPUT = 16_000;

export interface PipInstall {
  python: string;
  targetDir: string;
  packages: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type PipOutcome = { ok: true; summary: string } | { ok: false; text: string };

function lastLines(text: string, count: number): string {
  const lines = text.replace(/\r/g, '\n').split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  return lines.slice(-count).join('\n');
}

export function runPipInstall(request: PipInstall): Promise<PipOutcome> {
  const args = [
    '-m', 'pip', 'install',
    '--target', request.targetDir,
    '--upgrade', // with --target, pip otherwise leaves an existing (older) copy in place
    '--no-input',
    '--disable-pip-version-check',
    '--no-warn-script-location',
    ...request.packages,
  ];
  return new Promise<PipOutcome>((resolve) => {
    let output = '';
    let settled = false;
    let stopped: 'timeout' | 'cancelled' | null = null;
    let child: ChildProcess;
    try {
      child = spawn(request.python, args, {
        cwd: request.cwd,
        env: { ...request.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // a process group, so a timeout also stops pip's own subprocesses (builds)
      });
    } catch (error) {
      // spawn() throws for arguments it cannot pass at all (a NUL byte in a package entry).
      resolve({ ok: false, text: `pip install failed: ${errorMessage(error)}` });
      return;
    }
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const stop = (why: 'timeout' | 'cancelled'): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timeout = setTimeout(() => stop('timeout'), Math.max(1, request.timeoutMs));
    const onAbort = (): void => stop('cancelled');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) stop('cancelled');

    const finish = (outcome: PipOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      request.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.on('error', (error) => {
      finish({ ok: false, text: `pip install failed: could not run '${request.python} -m pip' (${error.message}).` });
    });
    child.once('close', (code, signal) => {
      const tail = lastLines(output, FAILURE_LINES);
      const quoted = tail === '' ? ' pip printed nothing.' : ` Last lines of pip's output:\n${tail}`;
      if (stopped === 'cancelled') {
        finish({ ok: false, text: 'Cancelled: the package installation was interrupted.' });
      } else if (stopped === 'timeout') {
        finish({
          ok: false,
          text: `pip install failed: it timed out after ${formatSeconds(request.timeoutMs)} and was stopped.${quoted}`,
        });
      } else if (code === 0) {
        const installed = output.split('\n').find((line) => line.startsWith('Successfully installed'));
        finish({ ok: true, summary: installed?.trim() ?? 'pip finished without errors.' });
      } else {
        const status = signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
        finish({ ok: false, text: `pip install failed (${status}).${quoted}` });
      }
    });
  });
}
