// Helpers for the scratchpad tests: a temporary workspace with a manager that is always closed,
// and a process liveness check that treats a zombie (dead, not yet reaped) as gone.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScratchpadManager } from '../../../src/agent/tools/scratchpad/manager.js';
import type { ScratchpadManagerOptions } from '../../../src/agent/tools/scratchpad/manager.js';

export interface Pads {
  manager: ScratchpadManager;
  workspace: string;
}

/**
 * Creates a workspace and a manager for each test of the calling `describe` (with `options`),
 * and closes the manager and removes the workspace after it.
 */
export function usePads(options: Omit<ScratchpadManagerOptions, 'workspacePath'> = {}): Pads {
  const pads = {} as Pads;
  beforeEach(() => {
    pads.workspace = mkdtempSync(path.join(tmpdir(), 'anton-scratchpad-'));
    pads.manager = new ScratchpadManager({ ...options, workspacePath: pads.workspace });
  });
  afterEach(async () => {
    await pads.manager.closeAll();
    rmSync(pads.workspace, { recursive: true, force: true });
  });
  return pads;
}

/** True while `pid` is a live process (a zombie counts as gone: it has exited). */
export function isAlive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    try {
      // "pid (comm) S ...": the state is the first field after the last ')'.
      const text = readFileSync(stat, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check()` holds, polling, or fails after `ms`. */
export async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
