// Timeouts, cancellation, the other actions (view, dump, reset, remove, install), a missing
// interpreter, and closeAll leaving no process behind.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NO_OUTPUT } from '../../../src/agent/tools/scratchpad/format.js';
import { eventually, isAlive, usePads } from './kit.js';

describe('scratchpad timeouts (injected scale 0.02: 2.4 s total, 0.6 s without output)', () => {
  const pads = usePads({ timeScale: 0.02 });

  it('kills a silent cell after the inactivity limit and loses the state', async () => {
    const { manager } = pads;
    await manager.exec('main', 'kept = 1');
    const pid = manager.pid('main');
    const started = Date.now();
    const result = await manager.exec('main', 'import time\nprint("start")\ntime.sleep(30)');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatch(/^\[output\]\nstart\n\n\[error\]\nThe cell timed out: no output for 0\.6 s \(the inactivity limit\)/);
    expect(result).toContain('lost');
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(await manager.exec('main', 'print(kept)')).toContain("NameError: name 'kept' is not defined");
  });

  it('kills a cell that keeps printing after the total limit', async () => {
    const started = Date.now();
    const result = await pads.manager.exec('main', 'import time\nwhile True:\n    print(".", flush=True)\n    time.sleep(0.05)');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2300);
    expect(elapsed).toBeLessThan(4500);
    expect(result).toContain('[output]\n.\n.\n');
    expect(result).toContain('[error]\nThe cell timed out after 2.4 s (the total limit for an estimate of 0 s).');
  });

  it('progress() keeps a quiet cell alive and reaches onProgress', async () => {
    const messages: string[] = [];
    const result = await pads.manager.exec(
      'main',
      'import time\nfor i in range(4):\n    time.sleep(0.3)\n    progress(f"step {i}")\nprint("finished")',
      { onProgress: (message) => messages.push(message) },
    );
    expect(result).toBe('[output]\nfinished');
    expect(messages).toEqual(['step 0', 'step 1', 'step 2', 'step 3']);
  });

  it('derives both limits from the estimate', async () => {
    // estimate 100 s: total max(200, 130) = 200 s → 4 s; inactivity min(max(50, 30), 60) = 50 s → 1 s.
    const result = await pads.manager.exec('main', 'import time\ntime.sleep(30)', { estimatedSeconds: 100 });
    expect(result).toContain('The cell timed out: no output for 1 s (the inactivity limit)');
  });
});

describe('scratchpad cancellation', () => {
  const pads = usePads();

  it('an abort kills the process within a second and resolves with a cancelled text', async () => {
    const { manager } = pads;
    await manager.exec('main', 'kept = 1');
    const pid = manager.pid('main') as number;
    const controller = new AbortController();
    const running = manager.exec('main', 'import time\nprint("working", flush=True)\ntime.sleep(60)', {
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const aborted = Date.now();
    controller.abort();
    const result = await running;
    expect(Date.now() - aborted).toBeLessThan(1000);
    expect(result).toMatch(/^Cancelled: /);
    expect(result).toContain('[output]\nworking');
    expect(isAlive(pid)).toBe(false);
    expect(await manager.exec('main', 'print(kept)')).toContain('NameError');
  });

  it('an already aborted signal runs nothing', async () => {
    const { manager, workspace } = pads;
    const result = await manager.exec('main', 'open("ran.txt", "w").write("x")', { signal: AbortSignal.abort() });
    expect(result).toMatch(/^Cancelled/);
    expect(existsSync(path.join(workspace, 'ran.txt'))).toBe(false);
  });
});

describe('scratchpad view, dump, reset, remove', () => {
  const pads = usePads();

  it('view lists the cells with their code and a short result', async () => {
    const { manager } = pads;
    await manager.exec('main', 'x = 1', { description: 'Set x' });
    await manager.exec('main', 'print("y" * 1000)');
    const view = await manager.view('main');
    expect(view).toMatch(/^Scratchpad 'main': 2 cells, process running \(pid \d+\), installed packages: none\./);
    expect(view).toContain(`Cell 1: Set x\n\`\`\`python\nx = 1\n\`\`\`\nResult:\n${NO_OUTPUT}`);
    expect(view).toContain('Cell 2\n```python\nprint("y" * 1000)\n```\nResult:\n[output]\nyyy');
    expect(view).toContain('… (1009 characters in all)');
  });

  it('dump gives a markdown notebook of the cells and outputs', async () => {
    const { manager } = pads;
    await manager.exec('main', 'print("hello")', { description: 'Greet' });
    await manager.exec('main', 'print("```")');
    expect(await manager.dump('main')).toBe(
      [
        '# Scratchpad: main',
        '## Cell 1: Greet',
        '```python\nprint("hello")\n```',
        '```text\n[output]\nhello\n```',
        '## Cell 2',
        '````python\nprint("```")\n````',
        '````text\n[output]\n```\n````',
      ].join('\n\n') + '\n',
    );
  });

  it('reset restarts the process, forgets cells and variables, and keeps the packages folder', async () => {
    const { manager, workspace } = pads;
    await manager.exec('main', 'x = 1');
    const before = manager.pid('main') as number;
    const marker = path.join(workspace, '.anton', 'scratchpad', 'main', 'packages', 'kept_module.py');
    await manager.exec('main', `open(${JSON.stringify(marker)}, "w").write("VALUE = 3\\n")`);
    const result = await manager.reset('main');
    expect(result).toBe("Scratchpad 'main' was reset: a fresh process with no variables and no cells. Installed packages are kept.");
    expect(isAlive(before)).toBe(false);
    expect(manager.pid('main')).toBeDefined();
    expect(await manager.view('main')).toMatch(/0 cells.*\nNo cells have run yet\.$/);
    expect(await manager.exec('main', 'print("x" in globals())')).toBe('[output]\nFalse');
    expect(await manager.exec('main', 'import kept_module\nprint(kept_module.VALUE)')).toBe('[output]\n3');
  });

  it('remove kills the process and forgets the scratchpad and its folder', async () => {
    const { manager, workspace } = pads;
    await manager.exec('main', 'x = 1');
    const pid = manager.pid('main') as number;
    expect(await manager.remove('main')).toBe("Scratchpad 'main' removed: its process was stopped and its installed packages deleted.");
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(path.join(workspace, '.anton', 'scratchpad', 'main'))).toBe(false);
    for (const action of [manager.view('main'), manager.dump('main'), manager.reset('main'), manager.remove('main')]) {
      expect(await action).toBe("No scratchpad named 'main'.");
    }
    expect(await manager.exec('main', 'print("x" in globals())')).toBe('[output]\nFalse');
  });

  it('keeps the names of odd scratchpads out of the file system paths', async () => {
    const { manager, workspace } = pads;
    await manager.exec('../../escape', 'import sys\nprint(sys.path[1])');
    const result = await manager.exec('../../escape', 'import sys\nprint(sys.path[1])');
    const folder = result.replace('[output]\n', '');
    expect(folder.startsWith(path.join(workspace, '.anton', 'scratchpad') + path.sep)).toBe(true);
    expect(path.basename(path.dirname(folder))).toMatch(/^_escape-[0-9a-f]{10}$/);
  });
});

describe('scratchpad install (PyPI is not reachable here: failures only)', () => {
  const pads = usePads();
  const unreachable = ['--index-url=http://127.0.0.1:9/', '--retries=0', '--timeout=1', '--no-index'];

  it('a failed install is a clear tool error quoting pip', async () => {
    const result = await pads.manager.install('main', [...unreachable, 'anton-no-such-package-xyz']);
    expect(result).toMatch(/^pip install failed \(exit code 1\)\. Last lines of pip's output:\n/);
    expect(result).toContain('anton-no-such-package-xyz');
    expect(result).toMatch(/No matching distribution|Could not find a version/);
  }, 60_000);

  it('exec with packages that fail to install does not run the cell', async () => {
    const { manager, workspace } = pads;
    const result = await manager.exec('main', 'open("ran.txt", "w").write("x")', {
      packages: [...unreachable, 'anton-no-such-package-xyz'],
    });
    expect(result).toMatch(/^pip install failed/);
    expect(result.endsWith('\nThe cell was not run.')).toBe(true);
    expect(existsSync(path.join(workspace, 'ran.txt'))).toBe(false);
  }, 60_000);

  it('an install timeout stops pip', async () => {
    const { workspace } = pads;
    const { ScratchpadManager } = await import('../../../src/agent/tools/scratchpad/manager.js');
    const slow = new ScratchpadManager({ workspacePath: workspace, installTimeoutMs: 1 });
    try {
      expect(await slow.install('main', ['anton-no-such-package-xyz'])).toMatch(/^pip install failed: it timed out after 0 s/);
    } finally {
      await slow.closeAll();
    }
  });

  it('no packages is refused', async () => {
    expect(await pads.manager.install('main', [])).toBe('No packages specified.');
    expect(await pads.manager.install('main', ['  '])).toBe('No packages specified.');
  });
});

describe('scratchpad with no python3', () => {
  const pads = usePads({ python: '/nonexistent/python3' });
  const message = "Python 3 is not available on this machine (tried '/nonexistent/python3').";

  it('every action returns a clear tool error', async () => {
    const { manager } = pads;
    expect(await manager.exec('main', 'print(1)')).toBe(message);
    expect(await manager.install('main', ['pandas'])).toBe(message);
    expect(await manager.view('main')).toBe(message);
    expect(await manager.dump('main')).toBe(message);
    expect(await manager.reset('main')).toBe(message);
    expect(await manager.remove('main')).toBe(message);
    expect(manager.names()).toEqual([]);
  });
});

describe('scratchpad closeAll', () => {
  const pads = usePads();

  it('leaves no process behind, including processes a cell started', async () => {
    const { manager } = pads;
    await manager.exec('a', 'x = 1');
    const started = await manager.exec('b', 'import subprocess\nchild = subprocess.Popen(["sleep", "60"])\nprint(child.pid)');
    const grandchild = Number(started.replace('[output]\n', ''));
    const pids = [manager.pid('a') as number, manager.pid('b') as number, grandchild];
    expect(pids.every((pid) => Number.isInteger(pid) && isAlive(pid))).toBe(true);
    await manager.closeAll();
    // The scratchpad processes are reaped by closeAll; the grandchild by whoever adopted it.
    expect(isAlive(pids[0] as number)).toBe(false);
    expect(isAlive(pids[1] as number)).toBe(false);
    await eventually(() => !isAlive(grandchild));
    expect(manager.names()).toEqual([]);
  });

  it('ends a running cell with a clear text', async () => {
    const { manager } = pads;
    const running = manager.exec('main', 'import time\ntime.sleep(60)');
    await eventually(() => manager.pid('main') !== undefined, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await manager.closeAll();
    expect(await running).toContain('The scratchpad was closed while this cell was running');
  });

  it('a process whose parent pipe closes kills itself and its group', async () => {
    // The driver's watchdog: the end of its request pipe means the service is gone.
    const { manager } = pads;
    const started = await manager.exec('main', 'import subprocess\nprint(subprocess.Popen(["sleep", "60"]).pid)');
    const grandchild = Number(started.replace('[output]\n', ''));
    const pid = manager.pid('main') as number;
    // Reach into the process to close its request pipe, as a dying service would.
    const internals = manager as unknown as { pads: Map<string, { process: { child: { stdin: { end(): void } } } }> };
    internals.pads.get('main')?.process.child.stdin.end();
    await eventually(() => !isAlive(pid) && !isAlive(grandchild));
  });
});
