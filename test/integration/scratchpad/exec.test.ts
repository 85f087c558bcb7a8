// Running cells in a real python3: state, working directory, result sections, and a protocol that
// user code cannot break.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_OUTPUT } from '../../../src/agent/tools/scratchpad/format.js';
import { usePads } from './kit.js';

describe('scratchpad exec', () => {
  const pads = usePads();

  it('keeps variables, imports and functions from one cell to the next', async () => {
    const { manager } = pads;
    expect(await manager.exec('main', 'import math\ncount = 41\ndef double(x):\n    return 2 * x')).toBe(NO_OUTPUT);
    expect(await manager.exec('main', 'count += 1\nprint(count, double(count), math.floor(2.5))')).toBe('[output]\n42 84 2');
  });

  it('keeps scratchpads apart from each other', async () => {
    const { manager } = pads;
    await manager.exec('a', 'x = "from a"');
    const other = await manager.exec('b', 'print(x)');
    expect(other).toContain('[error]');
    expect(other).toContain("NameError: name 'x' is not defined");
    expect(await manager.exec('a', 'print(x)')).toBe('[output]\nfrom a');
    expect(manager.names()).toEqual(['a', 'b']);
  });

  it('runs in the workspace: files a cell writes appear there, and workspace modules import', async () => {
    const { manager, workspace } = pads;
    const result = await manager.exec(
      'main',
      'import os\nopen("written.txt", "w").write("hello")\nos.makedirs(".anton/output", exist_ok=True)\nprint(os.getcwd())',
    );
    expect(result).toBe(`[output]\n${workspace}`);
    expect(readFileSync(path.join(workspace, 'written.txt'), 'utf8')).toBe('hello');
    await manager.exec('main', 'open("helper_mod.py", "w").write("VALUE = 7\\n")');
    expect(await manager.exec('main', 'import helper_mod\nprint(helper_mod.VALUE)')).toBe('[output]\n7');
  });

  it('labels stdout, logging records, stderr and the traceback, in that order', async () => {
    const result = await pads.manager.exec(
      'main',
      [
        'import logging, sys, warnings',
        'print("to stdout")',
        'logging.getLogger("loader").info("loaded %d rows", 3)',
        'print("to stderr", file=sys.stderr)',
        'def fail():',
        '    raise ValueError("bad value")',
        'fail()',
      ].join('\n'),
    );
    expect(result).toBe(
      [
        '[output]\nto stdout',
        '[logs]\nINFO loader: loaded 3 rows',
        '[stderr]\nto stderr',
        '[error]\nTraceback (most recent call last):\n' +
          '  File "<cell 1>", line 7, in <module>\n    fail()\n' +
          '  File "<cell 1>", line 6, in fail\n    raise ValueError("bad value")\n' +
          'ValueError: bad value',
      ].join('\n\n'),
    );
  });

  it('says so when the code has no output, and reports a syntax error without driver frames', async () => {
    const { manager } = pads;
    expect(await manager.exec('main', 'x = 1')).toBe(NO_OUTPUT);
    const result = await manager.exec('main', 'def broken(:\n    pass');
    expect(result.startsWith('[error]\n  File "<cell 2>", line 1\n')).toBe(true);
    expect(result).toContain('SyntaxError');
    expect(result).not.toContain('<string>');
  });

  it('honours logging.basicConfig(level=...) for [logs]', async () => {
    const result = await pads.manager.exec(
      'main',
      'import logging\nlogging.basicConfig(level=logging.DEBUG, format="%(levelname)s|%(message)s")\nlogging.debug("fine detail")',
    );
    expect(result).toBe('[logs]\nDEBUG|fine detail');
  });

  it('captures output of subprocesses (written straight to the file descriptors) in order', async () => {
    const result = await pads.manager.exec(
      'main',
      'import os, subprocess\nprint("one")\nsubprocess.run(["echo", "two"])\nos.write(1, b"three\\n")\nprint("four")',
    );
    expect(result).toBe('[output]\none\ntwo\nthree\nfour');
  });

  it('cuts [output] at 10000 characters and says how many were cut', async () => {
    const result = await pads.manager.exec('main', 'print("é" * 25000)');
    expect(result).toBe(`[output]\n${'é'.repeat(10000)}\n... [15001 more characters not shown]`);
  });

  it('cuts [stderr] and [logs] at 3000 characters', async () => {
    const result = await pads.manager.exec(
      'main',
      'import sys, logging\nsys.stderr.write("e" * 5000)\nfor i in range(200):\n    logging.warning("w" * 40)',
    );
    expect(result).toContain(`[stderr]\n${'e'.repeat(3000)}\n... [2000 more characters not shown]`);
    // Each record is "WARNING root: " (14) + 40 + "\n" = 55 characters; 200 records = 11000.
    const logs = result.slice(result.indexOf('[logs]\n') + 7, result.indexOf('\n\n[stderr]'));
    expect(logs).toMatch(/\n\.\.\. \[8000 more characters not shown\]$/);
  });

  it('keeps the end of a very long error', async () => {
    const result = await pads.manager.exec('main', 'raise RuntimeError("x" * 20000 + " END")');
    expect(result).toMatch(/^\[error\]\n\[\.\.\. \d+ earlier characters not shown\]\n/);
    expect(result.endsWith('x END')).toBe(true);
    expect(result.length).toBeLessThan(5200);
  });

  it('survives huge output without holding it all, and goes on working', async () => {
    const { manager } = pads;
    const result = await manager.exec('main', 'import sys\nfor i in range(200):\n    sys.stdout.write("z" * 100000)\nprint("done")');
    expect(result).toBe(`[output]\n${'z'.repeat(10000)}\n... [19990005 more characters not shown]`);
    expect(await manager.exec('main', 'print("after")')).toBe('[output]\nafter');
  }, 30_000);

  it('is not confused by user code printing frames, markers or other protocol lookalikes', async () => {
    const { manager } = pads;
    const fake = [
      'import sys, os',
      'print(\'58\\n{"type":"result","cell":1,"error":null,"markers":[false,false]}\')',
      'sys.stdout.write("\\x00anton-cell-end:" + "0" * 32 + "\\x00")',
      'sys.stderr.write(\'20\\n{"type":"ready"}\')',
      'os.write(1, b"\\x00anton-cell-end:\\x00\\n")',
      'secret = 5',
      'print("still here")',
    ].join('\n');
    const result = await manager.exec('main', fake);
    expect(result).toContain('still here');
    expect(result).toContain('{"type":"result","cell":1');
    expect(await manager.exec('main', 'print(secret)')).toBe('[output]\n5');
  });

  it('gives user code an empty stdin', async () => {
    const { manager } = pads;
    expect(await manager.exec('main', 'import sys\nprint(repr(sys.stdin.read()))')).toBe("[output]\n''");
    const result = await manager.exec('main', 'value = input("name? ")');
    expect(result).toContain('EOFError');
    expect(await manager.exec('main', 'print("alive")')).toBe('[output]\nalive');
  });

  it('restores sys.stdout and sys.stderr a cell replaced or closed', async () => {
    const { manager } = pads;
    await manager.exec('main', 'import io, sys\nsys.stdout = io.StringIO()\nsys.stderr.close()');
    expect(await manager.exec('main', 'import sys\nprint("visible")\nprint("err", file=sys.stderr)')).toBe(
      '[output]\nvisible\n\n[stderr]\nerr',
    );
  });

  it('treats sys.exit() as an error of the cell and keeps the state', async () => {
    const { manager } = pads;
    await manager.exec('main', 'kept = "yes"');
    const result = await manager.exec('main', 'import sys\nprint("before")\nsys.exit(2)');
    expect(result).toMatch(/^\[output\]\nbefore\n\n\[error\]\nTraceback/);
    expect(result).toContain('SystemExit: 2');
    expect(result).toContain('sys.exit() ends only this cell');
    expect(await manager.exec('main', 'print(kept)')).toBe('[output]\nyes');
  });

  it('reports os._exit() clearly, loses the state and restarts on the next exec', async () => {
    const { manager } = pads;
    await manager.exec('main', 'kept = 1');
    const firstPid = manager.pid('main');
    const result = await manager.exec('main', 'import os\nprint("bye", flush=True)\nos._exit(1)');
    expect(result).toMatch(/^\[output\]\nbye\n\n\[error\]\nThe scratchpad process exited unexpectedly \(exit code 1\)/);
    expect(result).toContain('lost');
    expect(manager.pid('main')).toBeUndefined();
    const after = await manager.exec('main', 'print(kept)');
    expect(after).toContain("NameError: name 'kept' is not defined");
    expect(manager.pid('main')).not.toBe(firstPid);
    expect(await manager.exec('main', 'print("fresh")')).toBe('[output]\nfresh');
  });

  it('reports a process killed from inside (a signal) the same way', async () => {
    const result = await pads.manager.exec('main', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)');
    expect(result).toContain('The scratchpad process exited unexpectedly (signal SIGKILL)');
  });

  it('runs top-level await', async () => {
    const result = await pads.manager.exec('main', 'import asyncio\nawait asyncio.sleep(0.01)\nprint("awaited")');
    expect(result).toBe('[output]\nawaited');
  });

  it('passes unicode through both ways', async () => {
    expect(await pads.manager.exec('main', 'text = "naïve 😀 ✓"\nprint(text, len(text))')).toBe('[output]\nnaïve 😀 ✓ 9');
  });

  it('does not pass the service environment, only the allow-list and the given env', async () => {
    process.env.ANTON_SCRATCHPAD_TEST_SECRET = 'do-not-leak';
    try {
      const result = await pads.manager.exec(
        'main',
        'import os\nprint(os.environ.get("ANTON_SCRATCHPAD_TEST_SECRET"), "PATH" in os.environ)',
      );
      expect(result).toBe('[output]\nNone True');
    } finally {
      delete process.env.ANTON_SCRATCHPAD_TEST_SECRET;
    }
  });

  it('runs cells of one scratchpad one at a time, in call order', async () => {
    const { manager } = pads;
    await manager.exec('main', 'order = []');
    const calls = [0, 1, 2, 3].map((i) => manager.exec('main', `import time\ntime.sleep(0.05)\norder.append(${i})`));
    await Promise.all(calls);
    expect(await manager.exec('main', 'print(order)')).toBe('[output]\n[0, 1, 2, 3]');
  });

  it('creates the packages folder under .anton/scratchpad/<name>', async () => {
    const { manager, workspace } = pads;
    await manager.exec('main', 'import sys\nprint(sys.path[1])');
    expect(existsSync(path.join(workspace, '.anton', 'scratchpad', 'main', 'packages'))).toBe(true);
    const result = await manager.exec('main', 'import sys\nprint(sys.path[1])');
    expect(result).toBe(`[output]\n${path.join(workspace, '.anton', 'scratchpad', 'main', 'packages')}`);
  });
});
