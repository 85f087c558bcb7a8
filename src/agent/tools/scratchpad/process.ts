// One running scratchpad: a Python process executing the driver (driver.ts, which documents the
// protocol), and the manager's side of that protocol: frames on fd 0 / fd 3, the cell's stdout and
// stderr read up to the cell's end marker, the two timeouts, cancellation and crashes.
//
// The process is a process-group leader (`detached`), so killing the group also kills whatever a
// cell started (a `subprocess.Popen`, a server), and nothing a scratchpad started survives it.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { DRIVER_SOURCE } from './driver.js';
import { CappedText, ERROR_LIMIT, formatCellResult, formatSeconds, LOGS_LIMIT, NO_OUTPUT, OUTPUT_LIMIT, STDERR_LIMIT } from './format.js';

/** Node's timers overflow above this many milliseconds (about 24.8 days) and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** A reply frame larger than this is a protocol error (replies are small: caps apply in the driver). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** After the process exits, how long to wait for the rest of its output before reporting. */
const EXIT_DRAIN_MS = 300;

export class ScratchpadStartError extends Error {
  constructor(
    message: string,
    /** The spawn error code (`ENOENT`, `EACCES`) when the interpreter could not be run at all. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ScratchpadStartError';
  }
}

export interface PadProcessOptions {
  python: string;
  cwd: string;
  env: Record<string, string>;
  packagesDir: string;
  startTimeoutMs: number;
}

export interface CellRequest {
  code: string;
  /** The cell's number, shown in tracebacks as `<cell n>`. */
  cell: number;
  /** Re-read the packages folder first (after an install). */
  refresh: boolean;
  /** The model's estimate, only to word a timeout. */
  estimateSeconds: number;
  totalMs: number;
  inactivityMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface CellOutcome {
  /** The result text (format.ts). */
  text: string;
  /** True when the process is gone (timeout, cancellation, crash): the cell's state is lost. */
  processLost: boolean;
}

interface ResultFrame {
  type: 'result';
  error: string | null;
  error_total: number;
  logs: string;
  logs_total: number;
  markers: [boolean, boolean];
}

type Frame = ResultFrame | { type: 'ready'; pid: number; version: string } | { type: 'progress'; message: string };

/** Reads length-prefixed JSON frames (`<bytes>\n<json>`) from a byte stream. */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (message: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) {
        if (this.buffer.length > 20) this.onError('a reply frame has no valid length');
        return;
      }
      const header = this.buffer.subarray(0, newline).toString('ascii');
      const size = /^\d{1,12}$/.test(header) ? Number(header) : NaN;
      if (!Number.isSafeInteger(size) || size > MAX_FRAME_BYTES) {
        this.onError(`a reply frame has an invalid length (${JSON.stringify(header.slice(0, 20))})`);
        return;
      }
      if (this.buffer.length < newline + 1 + size) return;
      const body = this.buffer.subarray(newline + 1, newline + 1 + size).toString('utf8');
      this.buffer = this.buffer.subarray(newline + 1 + size);
      let frame: Frame;
      try {
        frame = JSON.parse(body) as Frame;
      } catch {
        this.onError('a reply frame is not JSON');
        return;
      }
      this.onFrame(frame);
    }
  }
}

/**
 * The cell's view of stdout or stderr: text is captured (capped) until the current cell's marker
 * arrives; what follows the marker belongs to the next cell. A marker may be split across chunks,
 * so the last `marker.length - 1` characters are held back until the next chunk.
 */
class MarkerStream {
  private readonly decoder = new StringDecoder('utf8');
  private capture: CappedText;
  private finished: CappedText | null = null;
  private marker: string | null = null;
  private carry = '';

  constructor(
    private readonly limit: number,
    private readonly onActivity: () => void,
  ) {
    this.capture = new CappedText(limit);
  }

  /** Starts waiting for `marker`; what arrived since the last cell is part of this cell. */
  expect(marker: string): void {
    this.marker = marker;
    this.finished = null;
  }

  get markerSeen(): boolean {
    return this.finished !== null;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.accept(this.decoder.write(chunk));
    this.onActivity(); // after accept: the cell may be waiting for the marker this chunk held
  }

  /** The stream ended (the process is gone). */
  end(): void {
    this.accept(this.decoder.end());
    this.capture.append(this.carry);
    this.carry = '';
  }

  /** The current cell's text: up to its marker, or everything so far when no marker came. */
  take(): CappedText {
    if (this.finished !== null) {
      const done = this.finished;
      this.finished = null;
      return done;
    }
    this.capture.append(this.carry);
    this.carry = '';
    this.marker = null;
    const done = this.capture;
    this.capture = new CappedText(this.limit);
    return done;
  }

  private accept(decoded: string): void {
    const text = this.carry + decoded;
    this.carry = '';
    if (this.marker === null) {
      this.capture.append(text);
      return;
    }
    const at = text.indexOf(this.marker);
    if (at >= 0) {
      this.capture.append(text.slice(0, at));
      this.finished = this.capture;
      this.capture = new CappedText(this.limit);
      const rest = text.slice(at + this.marker.length);
      this.marker = null;
      this.capture.append(rest);
      return;
    }
    const safe = text.length - (this.marker.length - 1);
    if (safe <= 0) {
      this.carry = text;
      return;
    }
    // Never split a surrogate pair between the captured text and the carry.
    const cut = isHighSurrogate(text.charCodeAt(safe - 1)) ? safe - 1 : safe;
    this.capture.append(text.slice(0, cut));
    this.carry = text.slice(cut);
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `signal ${signal}`;
  return `exit code ${code ?? 'unknown'}`;
}

function timer(ms: number, fire: () => void): NodeJS.Timeout {
  return setTimeout(fire, Math.max(1, Math.min(MAX_TIMER_MS, Math.round(ms))));
}

type CellEnding =
  | { kind: 'done'; result: ResultFrame }
  | { kind: 'total-timeout' }
  | { kind: 'inactivity-timeout' }
  | { kind: 'cancelled' }
  | { kind: 'crashed' }
  | { kind: 'protocol'; message: string };

/** A started scratchpad process. Construct, then await `ready` before `runCell`. */
export class PadProcess {
  readonly ready: Promise<void>;
  /** Resolves once the process has exited (and its group was killed). */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly stdout: MarkerStream;
  private readonly stderr: MarkerStream;
  private exitDescription: string | null = null;
  private activity: (() => void) | null = null;
  private frameHandler: ((frame: Frame) => void) | null = null;
  private exitHandler: (() => void) | null = null;
  private protocolError: string | null = null;
  private busy = false;
  /** Set when the manager kills the process (remove, reset, closeAll): its exit is no crash. */
  private closing = false;
  private readonly streamsClosed: Promise<void>;

  constructor(options: PadProcessOptions) {
    const config = JSON.stringify({ packages_dir: options.packagesDir, logs_cap: LOGS_LIMIT, error_cap: ERROR_LIMIT });
    this.child = spawn(options.python, ['-u', '-c', DRIVER_SOURCE, config], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const notify = (): void => this.activity?.();
    this.stdout = new MarkerStream(OUTPUT_LIMIT, notify);
    this.stderr = new MarkerStream(STDERR_LIMIT, notify);

    // The streams are null only when the spawn itself failed (the 'error' handler below reports it).
    this.child.stdin?.on('error', () => undefined); // EPIPE when the process is gone; its exit is reported.
    const out = this.child.stdout;
    const err = this.child.stderr;
    const replies = this.child.stdio[3] as Readable | null;
    out?.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    err?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    out?.on('error', () => undefined);
    err?.on('error', () => undefined);
    const frames = new FrameReader(
      (frame) => {
        if (frame.type === 'progress') notify();
        this.frameHandler?.(frame);
      },
      (message) => this.failProtocol(message),
    );
    replies?.on('data', (chunk: Buffer) => frames.push(chunk));
    replies?.on('error', () => undefined);

    const ended = (stream: Readable | null): Promise<void> =>
      new Promise((resolve) => {
        if (stream === null) return resolve();
        stream.once('close', resolve);
        stream.once('end', resolve);
      });
    this.streamsClosed = Promise.all([ended(out), ended(err)]).then(() => undefined);

    let spawnError: (NodeJS.ErrnoException & Error) | null = null;
    this.exited = new Promise((resolve) => {
      // `on`, not `once`: an 'error' without a listener would throw. Only a failed spawn has no exit event.
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError ??= error;
        if (this.child.pid === undefined) {
          this.exitDescription = error.message;
          resolve();
        }
      });
      this.child.once('exit', (code, signal) => {
        this.exitDescription = describeExit(code, signal);
        this.killGroup(); // whatever the cell started dies with it
        resolve();
      });
    });
    void this.exited.then(() => this.exitHandler?.());

    this.ready = new Promise<void>((resolve, reject) => {
      const timeout = timer(options.startTimeoutMs, () => {
        cleanup();
        this.killGroup();
        reject(new ScratchpadStartError(`The scratchpad process did not start within ${formatSeconds(options.startTimeoutMs)}.`));
      });
      const cleanup = (): void => {
        clearTimeout(timeout);
        this.frameHandler = null;
        this.exitHandler = null;
      };
      this.frameHandler = (frame) => {
        if (frame.type !== 'ready') return;
        cleanup();
        resolve();
      };
      this.exitHandler = () => {
        cleanup();
        const failure = spawnError as (NodeJS.ErrnoException & Error) | null;
        if (failure !== null && this.child.pid === undefined) {
          reject(new ScratchpadStartError(failure.message, failure.code));
          return;
        }
        void this.drained().then(() => {
          const stderr = this.stderr.take().text.trim();
          const detail = stderr === '' ? '' : `\n${stderr}`;
          reject(new ScratchpadStartError(`The scratchpad process exited during start-up (${this.exitDescription}).${detail}`));
        });
      };
    });
    // Callers may never await `ready` (a closeAll during start-up); that is not an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitDescription === null;
  }

  /** Kills the process and everything it started; resolves once it has exited. */
  async kill(): Promise<void> {
    this.closing = true;
    this.killGroup();
    await this.exited;
  }

  /** Runs one cell. One at a time (the manager queues them). */
  runCell(request: CellRequest): Promise<CellOutcome> {
    if (this.busy) throw new Error('A cell is already running in this scratchpad process.');
    this.busy = true;
    const marker = `\u0000anton-cell-end:${randomBytes(16).toString('hex')}\u0000`;
    this.stdout.expect(marker);
    this.stderr.expect(marker);

    return new Promise<CellOutcome>((resolve) => {
      let result: ResultFrame | null = null;
      let settled = false;
      const total = timer(request.totalMs, () => void end({ kind: 'total-timeout' }));
      const inactivity = timer(request.inactivityMs, () => void end({ kind: 'inactivity-timeout' }));
      const onAbort = (): void => void end({ kind: 'cancelled' });

      const check = (): void => {
        if (result === null) return;
        const [stdoutMarked, stderrMarked] = result.markers;
        if ((!stdoutMarked || this.stdout.markerSeen) && (!stderrMarked || this.stderr.markerSeen)) {
          void end({ kind: 'done', result });
        }
      };
      this.activity = () => {
        inactivity.refresh();
        check();
      };
      this.frameHandler = (frame) => {
        if (frame.type === 'progress') {
          request.onProgress?.(String(frame.message));
        } else if (frame.type === 'result') {
          result = frame;
          check();
        }
      };
      this.exitHandler = () => {
        void end(this.protocolError !== null ? { kind: 'protocol', message: this.protocolError } : { kind: 'crashed' });
      };

      const end = async (ending: CellEnding): Promise<void> => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        clearTimeout(inactivity);
        request.signal?.removeEventListener('abort', onAbort);
        this.activity = null;
        this.frameHandler = null;
        this.exitHandler = null;
        if (ending.kind !== 'done') {
          this.killGroup();
          await this.exited;
          await this.drained();
        }
        this.busy = false;
        resolve(this.outcome(ending, request));
      };

      if (!this.alive) {
        void end({ kind: 'crashed' });
        return;
      }
      if (request.signal?.aborted) {
        void end({ kind: 'cancelled' });
        return;
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const body = JSON.stringify({
        type: 'exec',
        cell: request.cell,
        code: request.code,
        marker,
        refresh: request.refresh,
      });
      this.child.stdin?.write(`${Buffer.byteLength(body)}\n${body}`);
    });
  }

  private outcome(ending: CellEnding, request: CellRequest): CellOutcome {
    const stdout = this.stdout.take();
    const stderr = this.stderr.take();
    const sections = {
      output: stdout.text,
      outputCut: stdout.cutChars,
      logs: '',
      logsCut: 0,
      stderr: stderr.text,
      stderrCut: stderr.cutChars,
      error: null as string | null,
      errorCut: 0,
    };
    const lost =
      'The scratchpad process was killed: every variable, import and open file from earlier cells is lost, ' +
      'and the next exec starts a fresh process.';
    switch (ending.kind) {
      case 'done': {
        const { result } = ending;
        sections.logs = String(result.logs ?? '');
        sections.logsCut = Math.max(0, Number(result.logs_total ?? 0) - [...sections.logs].length);
        sections.error = result.error === null || result.error === undefined ? null : String(result.error);
        sections.errorCut =
          sections.error === null ? 0 : Math.max(0, Number(result.error_total ?? 0) - [...sections.error].length);
        return { text: formatCellResult(sections), processLost: false };
      }
      case 'total-timeout':
        sections.error =
          `The cell timed out after ${formatSeconds(request.totalMs)} (the total limit for an estimate of ` +
          `${request.estimateSeconds} s). ${lost} Split long work into smaller cells, or give a larger ` +
          'estimated_execution_time_seconds.';
        return { text: formatCellResult(sections), processLost: true };
      case 'inactivity-timeout':
        sections.error =
          `The cell timed out: no output for ${formatSeconds(request.inactivityMs)} (the inactivity limit). ${lost} ` +
          'Print progress (or call progress("...")) inside long loops.';
        return { text: formatCellResult(sections), processLost: true };
      case 'cancelled': {
        const note = 'Cancelled: the cell was interrupted and its scratchpad process was killed; its state is lost.';
        const partial = formatCellResult(sections);
        return { text: partial === NO_OUTPUT ? note : `${note}\n\n${partial}`, processLost: true };
      }
      case 'protocol':
        sections.error = `The scratchpad process broke the driver protocol (${ending.message}). ${lost}`;
        return { text: formatCellResult(sections), processLost: true };
      case 'crashed':
        if (this.closing) {
          sections.error = 'The scratchpad was closed while this cell was running; its process was killed.';
        } else {
          sections.error =
            `The scratchpad process exited unexpectedly (${this.exitDescription ?? 'unknown'}) while running this cell ` +
            '(os._exit(), a crash in native code, or the process was killed). Every variable and import from earlier ' +
            'cells is lost; the next exec starts a fresh process.';
        }
        return { text: formatCellResult(sections), processLost: true };
    }
  }

  /** Waits (briefly) for the rest of stdout and stderr after the process has exited. */
  private async drained(): Promise<void> {
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([this.streamsClosed, new Promise<void>((resolve) => (wait = setTimeout(resolve, EXIT_DRAIN_MS)))]);
    clearTimeout(wait);
    this.stdout.end();
    this.stderr.end();
  }

  private failProtocol(message: string): void {
    if (this.protocolError !== null) return;
    this.protocolError = message;
    this.killGroup();
  }

  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is gone already (ESRCH), or was never one: fall back to the process itself.
      if (this.alive) this.child.kill('SIGKILL');
    }
  }
}
