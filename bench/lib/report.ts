import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { MeasureResult } from './types.js';

export interface MeasureOutcome extends MeasureResult {
  name: string;
  target: string;
  /** Wall time the measure took, including set-up and tear-down (ms). */
  durationMs: number;
  /** Set when the measure could not complete (threw or timed out). */
  error?: string;
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    availableParallelism: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / 1024 ** 2),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function markdownTable(outcomes: readonly MeasureOutcome[]): string {
  const lines = ['| measure | figure | target | met? |', '|---|---|---|---|'];
  for (const outcome of outcomes) {
    const met = outcome.error ? 'error' : outcome.met ? 'yes' : 'no';
    lines.push(`| ${cell(outcome.name)} | ${cell(outcome.error ? `error: ${outcome.error}` : outcome.figure)} | ${cell(outcome.target)} | ${met} |`);
  }
  return lines.join('\n');
}

/**
 * Writes bench/results/<YYYY-MM-DD>.json (local date) and the markdown table beside it (.md),
 * and returns the JSON's path. Only a standard run of every measure writes the day's file: a run
 * of some measures goes to <YYYY-MM-DD>-<measures>.json, and a run with any BENCH_* knob set to
 * <YYYY-MM-DD>-diagnostic-<measures>.json, so that neither replaces the day's full figures.
 */
export async function writeResults(
  dir: string,
  startedAt: Date,
  totalMs: number,
  outcomes: readonly MeasureOutcome[],
  knobs: Record<string, string>,
  machine: Record<string, unknown>,
  partial: boolean,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = `${startedAt.getFullYear()}-${pad(startedAt.getMonth() + 1)}-${pad(startedAt.getDate())}`;
  const diagnostic = Object.keys(knobs).length > 0;
  // Other files are named after their measures, so that two such runs of a day keep both.
  const names = outcomes.map((outcome) => outcome.name).join('+');
  const file = join(dir, `${day}${diagnostic ? `-diagnostic-${names}` : partial ? `-${names}` : ''}.json`);
  const body = {
    startedAt: startedAt.toISOString(),
    totalMs: Math.round(totalMs),
    knobs,
    machine,
    measures: outcomes,
  };
  await writeFile(file, JSON.stringify(body, null, 2) + '\n');
  // The same figures as a table, for the README's Performance section.
  const header = `Measured ${startedAt.toISOString()} on ${String(machine.cpus ?? '?')} CPUs; load average before the run: ${JSON.stringify(machine.loadAverage ?? '?')}.\n\n`;
  await writeFile(file.replace(/\.json$/, '.md'), header + markdownTable(outcomes) + '\n');
  return file;
}
