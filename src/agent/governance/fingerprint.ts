// The approval fingerprint: it identifies "the same tool call" across runs of a session, so a
// reviewer's decision is reused for every identical call (reference §4; decisions.md "Keep").

import { createHash } from 'node:crypto';

import { pythonJsonDumps } from '../../python/json.js';

/** SHA-256 (hex) of Python's `json.dumps({"name": toolName, "input": toolInput}, sort_keys=True)`. */
/** A missing input (undefined) counts as `null`, Python's None. */
export function approvalFingerprint(toolName: string, toolInput: unknown): string {
  const text = pythonJsonDumps({ name: toolName, input: toolInput === undefined ? null : toolInput });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
