// How the governance policy, and the tool handlers that must agree with it, read a model's tool
// input: the reference's `input.get(...)` over a JSON value, with Python's `str()` (src/python).

import { pyStr } from '../../python/strings.js';

/** A JSON object's fields, or none when the tool input is not an object. */
export function fieldsOf(input: unknown): Record<string, unknown> {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/**
 * A tool's `action` as the reference reads it: `str(input.get("action", "")).lower()` (no strip).
 * Tool handlers must read it the same way, or the policy and the tool could disagree.
 */
export function toolAction(input: unknown): string {
  const fields = fieldsOf(input);
  return pyStr(fields.action === undefined ? '' : fields.action).toLowerCase();
}
