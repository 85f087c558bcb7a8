// The exact text of Python's `json.dumps(value, sort_keys=True)` with its default options
// (separators ", " and ": ", ensure_ascii, allow_nan). Approval fingerprints hash this text, so it
// must match the reference byte for byte (decisions.md, "Keep": approval fingerprints).
//
// Numbers print as Python prints the int or float a JSON parser would have produced (the rule is
// at `pyNumberStr` in strings.ts: `5`, `100000000000000000000`, `0.1`, `1e-05`, `1e+21`), except
// that NaN and ±Infinity print as `NaN`, `Infinity`, `-Infinity` (Python's allow_nan default);
// a bigint prints as its exact digits (a Python int of any size).
//
// JavaScript-only values follow JSON.stringify: `toJSON()` is honoured; undefined, functions and
// symbols are left out of objects and become `null` in arrays. A circular structure is a TypeError
// (Python: ValueError "Circular reference detected"), as is an unserialisable value at the top level.

import { compareCodePoints, pyNumberStr } from './strings.js';

/** A JS number as Python's json module prints it (see the note at the top of this file). */
export function pythonJsonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return pyNumberStr(n);
}

/** Python's `py_encode_basestring_ascii`: a quoted string with everything outside ' '..'~' escaped. */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i += 1) {
    // Code units, not code points: an astral character becomes its surrogate pair, as in Python.
    const unit = text.charCodeAt(i);
    switch (unit) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        out += unit < 0x20 || unit > 0x7e ? `\\u${unit.toString(16).padStart(4, '0')}` : text.charAt(i);
    }
  }
  return `${out}"`;
}

interface Holder {
  toJSON(key: string): unknown;
}

function hasToJSON(value: object): value is Holder {
  return typeof (value as Partial<Holder>).toJSON === 'function';
}

/** True for values JSON.stringify leaves out of objects (and turns into null in arrays). */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function encode(value: unknown, key: string, stack: Set<object>): string | undefined {
  let current = value;
  if (current !== null && typeof current === 'object' && hasToJSON(current)) current = current.toJSON(key);
  if (current === null) return 'null';
  if (current === true) return 'true';
  if (current === false) return 'false';
  if (typeof current === 'string') return pythonJsonString(current);
  if (typeof current === 'number') return pythonJsonNumber(current);
  if (typeof current === 'bigint') return current.toString();
  if (isOmitted(current)) return undefined;
  const container = current as object;
  if (stack.has(container)) throw new TypeError('Circular reference detected');
  stack.add(container);
  try {
    if (Array.isArray(container)) {
      if (container.length === 0) return '[]';
      const items = container.map((item: unknown, index) => encode(item, String(index), stack) ?? 'null');
      return `[${items.join(', ')}]`;
    }
    const record = container as Record<string, unknown>;
    const members: string[] = [];
    for (const name of Object.keys(record).sort(compareCodePoints)) {
      const text = encode(record[name], name, stack);
      if (text !== undefined) members.push(`${pythonJsonString(name)}: ${text}`);
    }
    return members.length === 0 ? '{}' : `{${members.join(', ')}}`;
  } finally {
    stack.delete(container);
  }
}

/** The text of Python's `json.dumps(value, sort_keys=True)`; see the notes at the top of this file. */
export function pythonJsonDumps(value: unknown): string {
  const text = encode(value, '', new Set());
  if (text === undefined) throw new TypeError(`A value of type ${typeof value} is not JSON serializable`);
  return text;
}
