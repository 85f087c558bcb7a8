// How busy the whole machine was during a window: a bench on a shared box is only as good as
// the quiet it had, so every measure reports it next to its figures.
import { readFileSync } from 'node:fs';
import os from 'node:os';

interface CpuTimes {
  busy: number;
  total: number;
}

function readCpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export interface MachineLoad {
  /** Share of all CPUs busy (any process) over the window, 0…1; null where /proc/stat is missing. */
  cpuBusyShare: number | null;
  /** The same in CPUs (busy share × CPU count). */
  busyCpus: number | null;
  loadAverageAtEnd: number[];
}

/** Starts a window; call the result to end it. */
export function watchMachineLoad(): () => MachineLoad {
  const start = readCpuTimes();
  return () => {
    const end = readCpuTimes();
    const share = start && end && end.total > start.total ? (end.busy - start.busy) / (end.total - start.total) : null;
    return {
      cpuBusyShare: share === null ? null : Math.round(share * 1000) / 1000,
      busyCpus: share === null ? null : Math.round(share * os.cpus().length * 100) / 100,
      loadAverageAtEnd: os.loadavg().map((value) => Math.round(value * 100) / 100),
    };
  };
}
