// The `scratchpad` tool handler: input parsing, validation messages, and delegation to the manager.
import { DUMP_DISPLAYED, runScratchpadTool, scratchpadToolSpec } from '../../../src/agent/tools/scratchpad/tool.js';
import { usePads } from './kit.js';

describe('scratchpad tool', () => {
  const pads = usePads({ timeScale: 0.02 });
  const signal = new AbortController().signal;
  const run = (input: unknown): Promise<string> => runScratchpadTool(input, pads.manager, signal);

  it('has the reference input schema', () => {
    expect(scratchpadToolSpec.name).toBe('scratchpad');
    expect(scratchpadToolSpec.inputSchema).toMatchObject({
      type: 'object',
      required: ['action', 'name'],
      properties: {
        action: { type: 'string', enum: ['exec', 'view', 'reset', 'remove', 'dump', 'install'] },
        name: { type: 'string' },
        code: { type: 'string' },
        packages: { type: 'array', items: { type: 'string' } },
        one_line_description: { type: 'string' },
        estimated_execution_time_seconds: { type: 'integer' },
      },
    });
    for (const words of ['persist', 'print()', 'imports', '120 s', 'one_line_description', 'estimated_execution_time_seconds']) {
      expect(scratchpadToolSpec.description).toContain(words);
    }
  });

  it('returns the reference messages for bad input', async () => {
    expect(await run({ action: 'exec', code: 'print(1)' })).toBe('Scratchpad name is required.');
    expect(await run({ action: 'exec', name: '  ', code: 'print(1)' })).toBe('Scratchpad name is required.');
    expect(await run('not an object')).toBe('Scratchpad name is required.');
    expect(await run({ action: 'exec', name: 'main' })).toBe('No code provided.');
    expect(await run({ action: 'exec', name: 'main', code: '   ' })).toBe('No code provided.');
    expect(await run({ action: 'install', name: 'main' })).toBe('No packages specified.');
    expect(await run({ action: 'install', name: 'main', packages: [] })).toBe('No packages specified.');
    expect(await run({ action: 'Frobnicate', name: 'main' })).toBe('Unknown scratchpad action: frobnicate');
    expect(await run({ name: 'main' })).toBe('Unknown scratchpad action: ');
    expect(await run({ action: 'view', name: 'nope' })).toBe("No scratchpad named 'nope'.");
    expect(await run({ action: 'dump', name: 'nope' })).toBe("No scratchpad named 'nope'.");
    expect(await run({ action: 'reset', name: 'nope' })).toBe("No scratchpad named 'nope'.");
    expect(await run({ action: 'remove', name: 'nope' })).toBe("No scratchpad named 'nope'.");
  });

  it('runs exec with the action read case-insensitively, and the description in view', async () => {
    expect(await run({ action: 'EXEC', name: 'main', code: 'x = 2\nprint(x * 21)', one_line_description: 'Answer' })).toBe(
      '[output]\n42',
    );
    expect(await run({ action: 'view', name: 'main' })).toContain('Cell 1: Answer');
  });

  it('reads the estimate with Python int() semantics, as the policy does', async () => {
    // "91.5" is unreadable → 0 → the default limits (scaled: 0.6 s of silence).
    const silent = { action: 'exec', name: 'main', code: 'import time\ntime.sleep(30)' };
    expect(await run({ ...silent, estimated_execution_time_seconds: '91.5' })).toContain('no output for 0.6 s');
    // 100.9 → 100 → inactivity 50 s (scaled: 1 s).
    expect(await run({ ...silent, estimated_execution_time_seconds: 100.9 })).toContain('no output for 1 s');
  });

  it('dump returns the notebook, or shows it through onDisplay and tells the model so', async () => {
    await run({ action: 'exec', name: 'main', code: 'print("hi")' });
    const notebook = await run({ action: 'dump', name: 'main' });
    expect(notebook.startsWith('# Scratchpad: main\n')).toBe(true);
    const shown: string[] = [];
    const reply = await runScratchpadTool({ action: 'dump', name: 'main' }, pads.manager, signal, {
      onDisplay: (markdown) => shown.push(markdown),
    });
    expect(reply).toBe(DUMP_DISPLAYED);
    expect(shown).toEqual([notebook]);
  });

  it('passes its abort signal to exec', async () => {
    const controller = new AbortController();
    const running = runScratchpadTool(
      { action: 'exec', name: 'main', code: 'import time\nwhile True:\n    progress("tick")\n    time.sleep(0.1)' },
      pads.manager,
      controller.signal,
    );
    setTimeout(() => controller.abort(), 800);
    expect(await running).toMatch(/^Cancelled: /);
  });
});
