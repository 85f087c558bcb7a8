// Skill prompt templates in Python `str.format` syntax.
//
// REST clients wrote their templates against the original Python service, so a template must
// parse, render and fail exactly as `string.Formatter().parse` plus `template.format(**params)`
// do there, error texts included. Two deliberate differences (decisions.md item 9):
// positional placeholders are refused when a template is parsed, and rendering can only ever
// fail with a 400 (the original crashed with a 500 on `{}`/`{0}`, on attribute or index fields
// nested in a format spec, and ran out of memory on huge widths).
//
// Everything here is pure. Lengths and positions that Python counts in code points are counted
// in code points; the syntax characters are all ASCII, so the scanner itself can walk UTF-16.

import { badInput } from '../errors.js';
import { compareCodePoints, pyAsciiString, pyDecimalValue, pyReprString, pyStrip } from '../python/strings.js';

export interface ParsedTemplate {
  /** Trimmed top-level placeholder names, sorted by code point, without duplicates. */
  requiredParams: string[];
}

/**
 * Upper bound on a rendered prompt (and on an expanded nested format spec), in UTF-16 units.
 * Python would try to build any size and die with a MemoryError; repeating a large param or
 * asking for a huge width must instead be a 400.
 */
export const MAX_RENDERED_LENGTH = 4_000_000;

const POSITIONAL_MESSAGE = "Positional placeholders are not supported: use named placeholders like '{metric}'.";
const TOO_LONG_MESSAGE = `Rendered skill prompt exceeds ${MAX_RENDERED_LENGTH} characters.`;

/** Python's `str.format` nests format specs at most this deep (`{a:{b}}` is depth 2). */
const MAX_FORMAT_DEPTH = 2;
/** PY_SSIZE_T_MAX on 64-bit CPython: widths, precisions and indexes above it overflow. */
const PY_SSIZE_T_MAX = 2n ** 63n - 1n;

interface Field {
  /** As written between the brace and the `!`/`:`/`}`: untrimmed, as Python looks it up. */
  name: string;
  conversion: string | undefined;
  spec: string;
  /** The spec contains `{`, so Python formats it as a template of its own first. */
  specIsTemplate: boolean;
}

interface Chunk {
  literal: string;
  field: Field | undefined;
}

// ---------------------------------------------------------------------------------------------
// Scanner

/**
 * Splits a format string into literal text and fields, lazily: Python reports a syntax error
 * only when it reaches it, after acting on every field before it, and callers rely on that order.
 */
function* chunks(text: string): Generator<Chunk, void, undefined> {
  const end = text.length;
  let pos = 0;
  while (pos < end) {
    const start = pos;
    let brace = '';
    while (pos < end) {
      const ch = text.charAt(pos++);
      if (ch === '{' || ch === '}') {
        brace = ch;
        break;
      }
    }
    const atEnd = pos >= end;
    if (brace === '}' && (atEnd || text.charAt(pos) !== '}')) {
      throw badInput("Single '}' encountered in format string");
    }
    if (brace === '{' && atEnd) throw badInput("Single '{' encountered in format string");
    if (brace === '') {
      yield { literal: text.slice(start), field: undefined };
      return;
    }
    if (text.charAt(pos) === brace) {
      // A doubled brace: the literal keeps one of the two.
      pos += 1;
      yield { literal: text.slice(start, pos - 1), field: undefined };
      continue;
    }
    const literal = text.slice(start, pos - 1);
    const parsed = scanField(text, pos);
    pos = parsed.next;
    yield { literal, field: parsed.field };
  }
}

/** Reads one field starting just after its `{`; returns it and the position after its `}`. */
function scanField(text: string, from: number): { field: Field; next: number } {
  const end = text.length;
  let pos = from;
  let stop = '';
  while (pos < end) {
    const ch = text.charAt(pos++);
    if (ch === '{') throw badInput("unexpected '{' in field name");
    if (ch === '[') {
      // Python lets an index hold `:`, `!` and `}`: `{a[}]}` is the field `a[}]`.
      while (pos < end && text.charAt(pos) !== ']') pos += 1;
      continue;
    }
    if (ch === '}' || ch === ':' || ch === '!') {
      stop = ch;
      break;
    }
  }
  const name = text.slice(from, pos - 1);
  if (stop === '}') return { field: { name, conversion: undefined, spec: '', specIsTemplate: false }, next: pos };
  if (stop === '') throw badInput("expected '}' before end of string");

  let conversion: string | undefined;
  if (stop === '!') {
    if (pos >= end) throw badInput('end of string while looking for conversion specifier');
    const codePoint = text.codePointAt(pos) ?? 0;
    conversion = String.fromCodePoint(codePoint);
    pos += conversion.length;
    if (pos < end) {
      const ch = text.charAt(pos++);
      if (ch === '}') return { field: { name, conversion, spec: '', specIsTemplate: false }, next: pos };
      if (ch !== ':') throw badInput("expected ':' after conversion specifier");
    }
    // At the end of the string Python falls through to the spec scan, which then fails.
  }

  const specStart = pos;
  let depth = 1;
  let specIsTemplate = false;
  while (pos < end) {
    const ch = text.charAt(pos++);
    if (ch === '{') {
      specIsTemplate = true;
      depth += 1;
    } else if (ch === '}') {
      depth -= 1;
      if (depth === 0) {
        return { field: { name, conversion, spec: text.slice(specStart, pos - 1), specIsTemplate }, next: pos };
      }
    }
  }
  throw badInput("unmatched '{' in format spec");
}

// ---------------------------------------------------------------------------------------------
// Parse (creation and new-version time)

export function parseTemplate(template: string): ParsedTemplate {
  const names = new Set<string>();
  for (const { field } of chunks(template)) {
    if (field === undefined) continue;
    const name = checkPlaceholder(field.name);
    if (name !== '') names.add(name);
    checkNestedPlaceholders(field);
  }
  return { requiredParams: [...names].sort(compareCodePoints) };
}

/**
 * Applies the original's rules to one field name and refuses what Python would treat as a
 * positional argument (with keyword-only params that is always an IndexError, the old 500).
 * Returns the trimmed name; '' for a blank name, which, like the original, is not required.
 */
function checkPlaceholder(raw: string): string {
  const name = pyStrip(raw);
  if (name === '') {
    if (raw === '') throw badInput(POSITIONAL_MESSAGE);
    return '';
  }
  if (name.includes('.') || name.includes('[') || name.includes(']')) {
    throw badInput(`Unsupported placeholder '${name}'. Use simple names like '{metric}'.`);
  }
  if (/^\p{Nd}+$/u.test(raw)) throw badInput(POSITIONAL_MESSAGE);
  return name;
}

/**
 * Fields nested in a spec (`{a:{b}}`) are looked up at render time only, and are not required
 * params (as in the original). Their names get the same checks, since an attribute, an index
 * or a position there would crash rendering. The scan stops where Python would stop: at a
 * syntax error in the spec, which rendering reports as a 400 anyway.
 */
function checkNestedPlaceholders(field: Field): void {
  if (!field.specIsTemplate) return;
  const nested = chunks(field.spec);
  for (;;) {
    let step: IteratorResult<Chunk, void>;
    try {
      step = nested.next();
    } catch {
      return;
    }
    if (step.done === true) return;
    if (step.value.field !== undefined) checkPlaceholder(step.value.field.name);
  }
}

// ---------------------------------------------------------------------------------------------
// Render (run, trigger and schedule-creation time)

export function renderTemplate(template: string, params: Record<string, string>): string {
  const { requiredParams } = parseTemplate(template);
  const missing = requiredParams.filter((name) => !Object.hasOwn(params, name));
  if (missing.length > 0) throw badInput(`Missing required skill params: ${missing.join(', ')}`);
  const rendered = formatTemplate(template, params, MAX_FORMAT_DEPTH);
  if (pyStrip(rendered) === '') throw badInput('Rendered skill prompt is empty.');
  return rendered;
}

/** Collects output and refuses to grow past MAX_RENDERED_LENGTH. */
class Output {
  private readonly parts: string[] = [];
  private length = 0;

  /** Throws unless `count` more units still fit. */
  reserve(count: number): void {
    if (this.length + count > MAX_RENDERED_LENGTH) throw badInput(TOO_LONG_MESSAGE);
  }

  push(text: string): void {
    this.reserve(text.length);
    this.parts.push(text);
    this.length += text.length;
  }

  toString(): string {
    return this.parts.join('');
  }
}

function formatTemplate(template: string, params: Record<string, string>, depth: number): string {
  if (depth <= 0) throw badInput('Max string recursion exceeded');
  const out = new Output();
  for (const { literal, field } of chunks(template)) {
    out.push(literal);
    if (field === undefined) continue;
    // Python looks the name up untrimmed, so `{ metric }` needs the key ' metric '.
    if (!Object.hasOwn(params, field.name)) throw badInput(`Missing required skill param: ${field.name}`);
    const value = convert(params[field.name] ?? '', field.conversion);
    const spec = field.specIsTemplate ? formatTemplate(field.spec, params, depth - 1) : field.spec;
    formatString(value, spec, out);
  }
  return out.toString();
}

function convert(value: string, conversion: string | undefined): string {
  switch (conversion) {
    case undefined:
    case 's':
      return value;
    case 'r':
      return pyReprString(value);
    case 'a':
      return pyAsciiString(value);
    default: {
      const codePoint = conversion.codePointAt(0) ?? 0;
      const shown = codePoint > 32 && codePoint < 127 ? conversion : `\\x${codePoint.toString(16)}`;
      throw badInput(`Unknown conversion specifier ${shown}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Format spec mini-language, as Python applies it to a str

const ALIGNMENTS = new Set(['<', '>', '=', '^']);
const SIGNS = new Set(['+', '-', ' ']);
/** Presentation types Python accepts with a `,` grouping before it looks at the object type. */
const COMMA_TYPES = new Set(['d', 'e', 'f', 'g', 'E', 'G', '%', 'F']);
/** `_` grouping also accepts the binary/octal/hex types. */
const UNDERSCORE_TYPES = new Set([...COMMA_TYPES, 'b', 'o', 'x', 'X']);

interface Spec {
  fill: string;
  align: string;
  sign: string;
  noNegativeZero: boolean;
  alternate: boolean;
  width: bigint | undefined;
  precision: bigint | undefined;
  type: string;
}

/** Python shows an awkward character in these messages as `\x<hex>`. */
function codeForMessage(ch: string, below: number): string {
  const codePoint = ch.codePointAt(0) ?? 0;
  return codePoint > 32 && codePoint < below ? ch : `\\x${codePoint.toString(16)}`;
}

function parseSpec(spec: string): Spec {
  const chars = Array.from(spec);
  const end = chars.length;
  const at = (index: number): string => chars[index] ?? '';
  let pos = 0;
  const parsed: Spec = {
    fill: ' ',
    align: '<',
    sign: '',
    noNegativeZero: false,
    alternate: false,
    width: undefined,
    precision: undefined,
    type: 's',
  };

  let fillGiven = false;
  if (end >= 2 && ALIGNMENTS.has(at(1))) {
    parsed.fill = at(0);
    parsed.align = at(1);
    fillGiven = true;
    pos = 2;
  } else if (end >= 1 && ALIGNMENTS.has(at(0))) {
    parsed.align = at(0);
    pos = 1;
  }
  if (pos < end && SIGNS.has(at(pos))) parsed.sign = at(pos++);
  if (pos < end && at(pos) === 'z') {
    parsed.noNegativeZero = true;
    pos += 1;
  }
  if (pos < end && at(pos) === '#') {
    parsed.alternate = true;
    pos += 1;
  }
  // A leading 0 sets the fill; only numbers also switch to '=' alignment, strings stay left.
  if (!fillGiven && pos < end && at(pos) === '0') {
    parsed.fill = '0';
    pos += 1;
  }

  const width = readInteger(chars, pos);
  pos = width.next;
  if (width.digits > 0) parsed.width = width.value;

  let grouping = '';
  if (pos < end && at(pos) === ',') {
    grouping = ',';
    pos += 1;
  }
  if (pos < end && at(pos) === '_') {
    if (grouping !== '') throw badInput("Cannot specify both ',' and '_'.");
    grouping = '_';
    pos += 1;
  }
  if (pos < end && at(pos) === ',' && grouping === '_') throw badInput("Cannot specify both ',' and '_'.");

  if (pos < end && at(pos) === '.') {
    const precision = readInteger(chars, pos + 1);
    if (precision.digits === 0) throw badInput('Format specifier missing precision');
    parsed.precision = precision.value;
    pos = precision.next;
  }

  if (end - pos > 1) throw badInput(`Invalid format specifier '${spec}' for object of type 'str'`);
  if (end - pos === 1) parsed.type = at(pos);

  if (grouping !== '' && !(grouping === ',' ? COMMA_TYPES : UNDERSCORE_TYPES).has(parsed.type)) {
    throw badInput(`Cannot specify '${grouping}' with '${codeForMessage(parsed.type, 128)}'.`);
  }
  return parsed;
}

/** Width and precision digits are any Unicode decimal digits, as in Python. */
function readInteger(chars: string[], from: number): { value: bigint; digits: number; next: number } {
  let value = 0n;
  let pos = from;
  for (; pos < chars.length; pos++) {
    const digit = pyDecimalValue(chars[pos] ?? '');
    if (digit < 0) break;
    const next = value * 10n + BigInt(digit);
    if (next > PY_SSIZE_T_MAX) throw badInput('Too many decimal digits in format string');
    value = next;
  }
  return { value, digits: pos - from, next: pos };
}

function formatString(value: string, specText: string, out: Output): void {
  if (specText === '') {
    out.push(value);
    return;
  }
  const spec = parseSpec(specText);
  if (spec.type !== 's') {
    throw badInput(`Unknown format code '${codeForMessage(spec.type, 128)}' for object of type 'str'`);
  }
  if (spec.sign === ' ') throw badInput('Space not allowed in string format specifier');
  if (spec.sign !== '') throw badInput('Sign not allowed in string format specifier');
  if (spec.noNegativeZero) {
    throw badInput('Negative zero coercion (z) not allowed in string format specifier');
  }
  if (spec.alternate) throw badInput('Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=') throw badInput("'=' alignment not allowed in string format specifier");

  const chars = Array.from(value);
  const cut = spec.precision !== undefined && spec.precision < BigInt(chars.length);
  const kept = cut ? chars.slice(0, Number(spec.precision)).join('') : value;
  const length = cut ? Number(spec.precision) : chars.length;
  if (spec.width === undefined || spec.width <= BigInt(length)) {
    out.push(kept);
    return;
  }
  if (spec.width > BigInt(MAX_RENDERED_LENGTH)) throw badInput(TOO_LONG_MESSAGE);
  const padding = Number(spec.width) - length;
  const left = spec.align === '>' ? padding : spec.align === '^' ? Math.floor(padding / 2) : 0;
  out.reserve(kept.length + padding * spec.fill.length);
  out.push(spec.fill.repeat(left) + kept + spec.fill.repeat(padding - left));
}
