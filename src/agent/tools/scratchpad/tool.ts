// The `scratchpad` tool as the model sees it (reference-behaviour.md §10.4 item 1): its spec, and
// the handler that reads a tool call's input and hands it to the session's ScratchpadManager.
//
// Input fields are read the way the governance policy reads them (src/agent/governance), so that
// the gate and the tool never disagree: `action` is `str(action).lower()`, and
// `estimated_execution_time_seconds` goes through Python's `int()` (0 when unreadable).

import { pyIntOr, pyStr } from '../../../python/strings.js';
import { fieldsOf, toolAction } from '../../governance/toolInput.js';
import type { ToolSpec } from '../../providers/types.js';
import type { ScratchpadManager } from './manager.js';
import { DUMP_HEADING, NAME_REQUIRED, unknownAction } from './manager.js';

export const scratchpadToolSpec: ToolSpec = {
  name: 'scratchpad',
  description: [
    'Run Python 3 code in a named, persistent scratchpad: a Python process whose working directory is the ' +
      'session workspace. Cells persist: variables, imports, loaded data and open files of one exec are still there ' +
      'in the next exec on the same scratchpad, until it is reset or removed, or a cell times out or crashes it.',
    'Rules for exec:',
    '- Always print() what you need to see: only printed output, logging records, stderr and errors come back ' +
      '(output is cut after 10000 characters, so print summaries, not whole tables).',
    '- Put the imports a cell needs at the top of every cell.',
    '- A cell may run 120 s by default; with estimated_execution_time_seconds = e the limit is max(2e, e + 30) s, ' +
      'and a cell that prints nothing for 30 s (up to 60 s for long estimates) is stopped too. A stopped cell ' +
      'kills its scratchpad and all its state. Split work expected to take more than 90 s into smaller cells ' +
      '(longer estimates need a reviewer\'s approval). Call progress("message") inside long loops.',
    '- Always give one_line_description (what the cell does) and estimated_execution_time_seconds.',
    'Actions: exec (run code; packages listed in `packages` are pip-installed first), view (list the cells run so ' +
      'far), reset (restart the process: variables and cells are cleared, installed packages kept), remove (stop and ' +
      'delete the scratchpad), dump (the cells and their outputs as a markdown notebook), install (pip install ' +
      '`packages` into this scratchpad).',
  ].join('\n'),
  inputSchema: {
    type: 'object',
    properties: {
      action: {
        type: 'string',
        enum: ['exec', 'view', 'reset', 'remove', 'dump', 'install'],
        description: 'What to do.',
      },
      name: { type: 'string', description: 'The scratchpad, e.g. "main"; exec creates it when it does not exist.' },
      code: { type: 'string', description: 'exec: the Python code of the cell.' },
      packages: {
        type: 'array',
        items: { type: 'string' },
        description: 'install, exec: pip requirement specifiers, e.g. ["plotly", "scikit-learn>=1.4"].',
      },
      one_line_description: { type: 'string', description: 'exec: what this cell does, in one line.' },
      estimated_execution_time_seconds: {
        type: 'integer',
        description: 'exec: how long the cell should take, in seconds; it sets the time limits.',
      },
    },
    required: ['action', 'name'],
  },
};

/** Optional ways for the caller to show what the tool produces while it runs. */
export interface ScratchpadToolHooks {
  /** A cell's `progress("...")` messages, as they come. */
  onProgress?: (message: string) => void;
  /**
   * Shows `dump`'s notebook to the user. When given, the model gets a short note instead of the
   * notebook (as in the reference); without it the model gets the notebook itself.
   */
  onDisplay?: (markdown: string) => void;
}

export const DUMP_DISPLAYED =
  'The full notebook has been displayed to the user above. Do not repeat it; refer to its cells by number if needed.';

function text(value: unknown): string {
  return value === undefined || value === null ? '' : pyStr(value);
}

function packageList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.map((entry: unknown) => text(entry)).filter((entry) => entry.trim() !== '');
}

/** Runs one `scratchpad` tool call; the returned text is the tool result the model sees. */
export async function runScratchpadTool(
  input: unknown,
  manager: ScratchpadManager,
  signal: AbortSignal,
  hooks: ScratchpadToolHooks = {},
): Promise<string> {
  const fields = fieldsOf(input);
  const action = toolAction(input);
  const name = text(fields.name);
  if (name.trim() === '') return NAME_REQUIRED;
  switch (action) {
    case 'exec':
      return manager.exec(name, text(fields.code), {
        estimatedSeconds: Number(pyIntOr(fields.estimated_execution_time_seconds, 0n)),
        packages: packageList(fields.packages),
        description: text(fields.one_line_description).trim(),
        signal,
        onProgress: hooks.onProgress,
      });
    case 'view':
      return manager.view(name);
    case 'reset':
      return manager.reset(name);
    case 'remove':
      return manager.remove(name);
    case 'dump': {
      const notebook = await manager.dump(name);
      if (hooks.onDisplay === undefined || !notebook.startsWith(DUMP_HEADING)) return notebook;
      hooks.onDisplay(notebook);
      return DUMP_DISPLAYED;
    }
    case 'install':
      return manager.install(name, packageList(fields.packages), { signal });
    default:
      return unknownAction(action);
  }
}
