// How a scratchpad cell's result reads to the model, and the limits that shape it.
//
// A cell's result is up to four sections, in this order, separated by a blank line; a section
// whose text is empty (or only whitespace) is left out:
//
//   [output]   what the cell wrote to stdout (print(), subprocesses, C libraries), in order.
//              The first 10000 characters are kept.
//   [logs]     records emitted through Python's `logging` module (level INFO and up unless the
//              cell changes it), one per line as "LEVEL logger: message". First 3000 kept.
//   [stderr]   what the cell wrote to stderr (warnings, subprocesses). First 3000 kept.
//   [error]    the exception's traceback (only the cell's own frames), or what ended the cell:
//              a timeout, a crash of the process, a cancellation. The LAST 5000 kept (the end
//              of a traceback names the exception).
//
// A cut section says how much was cut, on its own line: `... [7340 more characters not shown]`
// at the end, or `[... 7340 earlier characters not shown]` at the start of [error].
// Characters are Unicode code points, as Python counts them.
// With no section at all the result is `Code executed successfully (no output).`

export const OUTPUT_LIMIT = 10_000;
export const LOGS_LIMIT = 3_000;
export const STDERR_LIMIT = 3_000;
export const ERROR_LIMIT = 5_000;
export const NO_OUTPUT = 'Code executed successfully (no output).';

/**
 * The reference's limits for one cell, from the model's `estimated_execution_time_seconds` (e):
 * total `max(2e, e + 30)` seconds and inactivity `min(max(0.5e, 30), 60)` seconds, or 120 s and
 * 30 s when e <= 0 (or not a number).
 */
export function cellTimeouts(estimateSeconds: number): { totalSeconds: number; inactivitySeconds: number } {
  const e = Number.isNaN(estimateSeconds) ? 0 : estimateSeconds;
  if (e <= 0) return { totalSeconds: 120, inactivitySeconds: 30 };
  return { totalSeconds: Math.max(2 * e, e + 30), inactivitySeconds: Math.min(Math.max(0.5 * e, 30), 60) };
}

/** "1.2 s", "120 s": a duration in milliseconds as the result texts show it. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Code points in `text` (a surrogate pair counts once). */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff && i > 0) {
      const before = text.charCodeAt(i - 1);
      if (before >= 0xd800 && before <= 0xdbff) count -= 1;
    }
  }
  return count;
}

/** The first `count` code points of `text`. */
export function headCodePoints(text: string, count: number): string {
  let units = 0;
  for (let seen = 0; seen < count && units < text.length; seen += 1) {
    const unit = text.charCodeAt(units);
    const pair = unit >= 0xd800 && unit <= 0xdbff && units + 1 < text.length;
    const next = pair ? text.charCodeAt(units + 1) : 0;
    units += pair && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return text.slice(0, units);
}

/** The last `count` code points of `text`. */
export function tailCodePoints(text: string, count: number): string {
  let start = text.length;
  for (let seen = 0; seen < count && start > 0; seen += 1) {
    const unit = text.charCodeAt(start - 1);
    const pair = unit >= 0xdc00 && unit <= 0xdfff && start - 2 >= 0;
    const before = pair ? text.charCodeAt(start - 2) : 0;
    start -= pair && before >= 0xd800 && before <= 0xdbff ? 2 : 1;
  }
  return text.slice(start);
}

/** Text that grows chunk by chunk but keeps only its first `limit` code points, counting the rest. */
export class CappedText {
  private readonly parts: string[] = [];
  private kept = 0;
  private cut = 0;

  constructor(readonly limit: number) {}

  append(text: string): void {
    if (text === '') return;
    const room = this.limit - this.kept;
    if (room <= 0) {
      this.cut += codePointLength(text);
      return;
    }
    const size = codePointLength(text);
    if (size <= room) {
      this.parts.push(text);
      this.kept += size;
      return;
    }
    this.parts.push(headCodePoints(text, room));
    this.kept += room;
    this.cut += size - room;
  }

  get text(): string {
    return this.parts.join('');
  }

  /** Code points appended beyond the limit. */
  get cutChars(): number {
    return this.cut;
  }
}

export interface CellSections {
  output: string;
  outputCut: number;
  logs: string;
  logsCut: number;
  stderr: string;
  stderrCut: number;
  /** Traceback or what ended the cell; the last ERROR_LIMIT characters are shown. */
  error: string | null;
  /** Characters already cut from the start of `error` before it got here (by the driver). */
  errorCut: number;
}

function withoutTrailingNewlines(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

function headSection(label: string, text: string, cut: number): string | null {
  const body = withoutTrailingNewlines(text);
  if (body.trim() === '' && cut === 0) return null;
  return cut > 0 ? `${label}\n${body}\n... [${cut} more characters not shown]` : `${label}\n${body}`;
}

/** The result text of one cell (see the top of this file). */
export function formatCellResult(sections: CellSections): string {
  const parts = [
    headSection('[output]', sections.output, sections.outputCut),
    headSection('[logs]', sections.logs, sections.logsCut),
    headSection('[stderr]', sections.stderr, sections.stderrCut),
  ];
  if (sections.error !== null && sections.error.trim() !== '') {
    const error = withoutTrailingNewlines(sections.error);
    const size = codePointLength(error);
    const cut = sections.errorCut + Math.max(0, size - ERROR_LIMIT);
    const shown = size > ERROR_LIMIT ? tailCodePoints(error, ERROR_LIMIT) : error;
    parts.push(cut > 0 ? `[error]\n[... ${cut} earlier characters not shown]\n${shown}` : `[error]\n${shown}`);
  }
  const present = parts.filter((part): part is string => part !== null);
  return present.length === 0 ? NO_OUTPUT : present.join('\n\n');
}

/** A fenced markdown code block whose fence no backtick run inside `text` can close. */
export function fenced(text: string, language = ''): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${withoutTrailingNewlines(text)}\n${fence}`;
}
