// Request validation for the REST layer. REST clients were written against a FastAPI service, so
// a bad request must fail the way pydantic v2 (lax mode) and FastAPI fail: the same coercions are
// accepted, and the 422 items carry the same `type`, `loc`, `msg` and `input`. The rules below were
// checked against pydantic 2.13 and CPython's `json` module; deliberate differences are marked.

import { badInput } from '../../errors.js';
import { isPlainObject } from '../../json.js';

export type FieldType = 'str' | 'int' | 'float' | 'bool' | 'object' | 'dict_str_str';

export interface FieldSpec {
  type: FieldType;
  /** A required field has no default: leaving it out is a `missing` issue. */
  required?: boolean;
  /** JSON `null` is accepted as a value (pydantic's `Optional[...]`). */
  nullable?: boolean;
  /** Used when the field is absent. Without one, an absent optional field is left out of the result. */
  default?: unknown;
  description?: string;
}

export type Shape = Record<string, FieldSpec>;

export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Thrown with every issue found; the REST layer answers 422 `{"detail": issues}`. */
export class RequestValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`Request validation failed: ${issues.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; ')}`);
    this.name = 'RequestValidationError';
  }
}

// pydantic's wording for each error type; clients match on these texts.
const MESSAGES = {
  missing: 'Field required',
  json_invalid: 'JSON decode error',
  model_attributes_type: 'Input should be a valid dictionary or object to extract fields from',
  string_type: 'Input should be a valid string',
  int_type: 'Input should be a valid integer',
  int_parsing: 'Input should be a valid integer, unable to parse string as an integer',
  int_from_float: 'Input should be a valid integer, got a number with a fractional part',
  int_parsing_size: 'Unable to parse input string as an integer, exceeded maximum size',
  finite_number: 'Input should be a finite number',
  float_type: 'Input should be a valid number',
  float_parsing: 'Input should be a valid number, unable to parse string as a number',
  bool_type: 'Input should be a valid boolean',
  bool_parsing: 'Input should be a valid boolean, unable to interpret input',
  dict_type: 'Input should be a valid dictionary',
} as const;

type IssueType = keyof typeof MESSAGES;
type Loc = (string | number)[];

function issue(type: IssueType, loc: Loc, input: unknown): ValidationIssue {
  return { type, loc, msg: MESSAGES[type], input };
}

type Coerced = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

const ok = (value: unknown): Coerced => ({ ok: true, value });
const fail = (type: IssueType, loc: Loc, input: unknown): Coerced => ({ ok: false, issues: [issue(type, loc, input)] });


// ---------------------------------------------------------------------------------------------
// One coercion per field type (pydantic v2 lax mode, Python-mode input as FastAPI validates it)
// ---------------------------------------------------------------------------------------------

// Lax mode still refuses to turn numbers or booleans into strings.
function coerceStr(input: unknown, loc: Loc): Coerced {
  return typeof input === 'string' ? ok(input) : fail('string_type', loc, input);
}

// pydantic's integer strings: surrounding whitespace, a sign, `_` between digits, and a
// fraction made only of zeros ("60.00"); no exponent, no hex, no bare "60.".
const INT_STRING = /^[+-]?\d+(?:_\d+)*(?:\.0+)?$/;

function coerceInt(input: unknown, loc: Loc): Coerced {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'number') return intFromNumber(input, input, loc);
  if (typeof input === 'string') {
    const text = input.trim();
    if (!INT_STRING.test(text)) return fail('int_parsing', loc, input);
    return intFromNumber(Number(text.replace(/_/g, '')), input, loc);
  }
  return fail('int_type', loc, input);
}

function intFromNumber(value: number, input: unknown, loc: Loc): Coerced {
  if (!Number.isFinite(value)) return fail('finite_number', loc, input);
  if (!Number.isInteger(value)) return fail('int_from_float', loc, input);
  // Python ints are unbounded; we refuse what a JS number cannot hold exactly rather than
  // silently rounding it (pydantic itself gives this error past its own size limit).
  if (!Number.isSafeInteger(value)) return fail('int_parsing_size', loc, input);
  return ok(value + 0); // `+ 0` turns "-0" into 0
}

// Python's float() grammar as pydantic applies it: `_` between digits, "5." and ".5" allowed.
const FLOAT_STRING = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const NON_FINITE_STRING = /^[+-]?(?:inf|infinity|nan)$/i;

function coerceFloat(input: unknown, loc: Loc): Coerced {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'number') return floatFromNumber(input, input, loc);
  if (typeof input === 'string') {
    const text = input.trim();
    if (NON_FINITE_STRING.test(text)) return fail('finite_number', loc, input);
    if (!FLOAT_STRING.test(text)) return fail('float_parsing', loc, input);
    return floatFromNumber(Number(text.replace(/_/g, '')), input, loc);
  }
  return fail('float_type', loc, input);
}

// Deliberate difference: pydantic accepts inf and nan, but they cannot be written back as JSON
// and an infinite timeout would misbehave in Node timers, so we refuse them the way pydantic does
// with `allow_inf_nan=False`.
function floatFromNumber(value: number, input: unknown, loc: Loc): Coerced {
  return Number.isFinite(value) ? ok(value) : fail('finite_number', loc, input);
}

const TRUE_STRINGS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function coerceBool(input: unknown, loc: Loc): Coerced {
  if (typeof input === 'boolean') return ok(input);
  if (typeof input === 'number') {
    if (input === 0 || input === 1) return ok(input === 1);
    // pydantic says "unable to interpret" for whole numbers like 2, and "not a boolean" for 1.5.
    return fail(Number.isInteger(input) ? 'bool_parsing' : 'bool_type', loc, input);
  }
  if (typeof input === 'string') {
    // Case-insensitive but not trimmed: " yes " is refused by pydantic too.
    const word = input.toLowerCase();
    if (TRUE_STRINGS.has(word)) return ok(true);
    if (FALSE_STRINGS.has(word)) return ok(false);
    return fail('bool_parsing', loc, input);
  }
  return fail('bool_type', loc, input);
}

function coerceObject(input: unknown, loc: Loc): Coerced {
  return isPlainObject(input) ? ok(input) : fail('dict_type', loc, input);
}

// Every bad value is reported, each under its own key, as pydantic does for `dict[str, str]`.
function coerceDictStrStr(input: unknown, loc: Loc): Coerced {
  if (!isPlainObject(input)) return fail('dict_type', loc, input);
  const issues = Object.entries(input)
    .filter(([, value]) => typeof value !== 'string')
    .map(([key, value]) => issue('string_type', [...loc, key], value));
  return issues.length === 0 ? ok({ ...input }) : { ok: false, issues };
}

const COERCERS: Record<FieldType, (input: unknown, loc: Loc) => Coerced> = {
  str: coerceStr,
  int: coerceInt,
  float: coerceFloat,
  bool: coerceBool,
  object: coerceObject,
  dict_str_str: coerceDictStrStr,
};

function coerceField(spec: FieldSpec, input: unknown, loc: Loc): Coerced {
  if (input === null && spec.nullable) return ok(null);
  return COERCERS[spec.type](input, loc);
}

// A default must not be shared between requests: handlers may mutate what they receive.
function defaultOf(spec: FieldSpec): unknown {
  return structuredClone(spec.default);
}

/**
 * Validates every field of `shape` (in declaration order, all issues collected) and returns the
 * coerced values. Fields not in the shape are ignored. `missingInput` is what a `missing` issue
 * shows as its input: the whole body for bodies, null for query parameters (as FastAPI does).
 */
function validateFields(source: Record<string, unknown>, shape: Shape, locPrefix: Loc, missingInput: unknown): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const issues: ValidationIssue[] = [];
  for (const [name, spec] of Object.entries(shape)) {
    const loc = [...locPrefix, name];
    if (!Object.hasOwn(source, name) || source[name] === undefined) {
      if (spec.required) issues.push(issue('missing', loc, missingInput));
      else if (spec.default !== undefined) values[name] = defaultOf(spec);
      continue;
    }
    const result = coerceField(spec, source[name], loc);
    if (result.ok) values[name] = result.value;
    else issues.push(...result.issues);
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  return values;
}

// ---------------------------------------------------------------------------------------------
// JSON bodies
// ---------------------------------------------------------------------------------------------

/**
 * FastAPI's body handling: an empty body (or JSON `null`) is "no body"; anything else must be
 * JSON (Python's `json.loads`) and then a JSON object to extract the model's fields from.
 * An absent optional body yields the shape's defaults, so give such shapes no required fields.
 */
export function parseJsonBody(raw: Buffer | string | undefined, shape: Shape, options: { bodyRequired: boolean }): Record<string, unknown> {
  const text = decodeBody(raw);
  const body = text === '' ? null : parseJson(text);
  if (body === null) {
    if (options.bodyRequired) throw new RequestValidationError([issue('missing', ['body'], null)]);
    return validateFields({}, shape, ['body'], {});
  }
  if (!isPlainObject(body)) throw new RequestValidationError([issue('model_attributes_type', ['body'], body)]);
  return validateFields(body, shape, ['body'], body);
}

// Starlette hands FastAPI the raw bytes: a UTF-8 BOM is skipped, and bytes that are not text
// fail outside validation, as a 400 with FastAPI's own wording.
function decodeBody(raw: Buffer | string | undefined): string {
  if (raw === undefined) return '';
  if (typeof raw === 'string') return raw.replace(/^\uFEFF/, '');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw badInput('There was an error parsing the body');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const found = locateJsonError(text);
    const error = found ?? { message: 'Invalid JSON', pos: 0 };
    throw new RequestValidationError([
      { type: 'json_invalid', loc: ['body', error.pos], msg: MESSAGES.json_invalid, input: {}, ctx: { error: error.message } },
    ]);
  }
}

interface JsonErrorSite {
  message: string;
  /** In code points, as Python counts string positions. */
  pos: number;
}

class JsonScanError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/**
 * Finds the first syntax error the way CPython's `json` decoder reports it (message and
 * position), since JS's SyntaxError texts and positions differ. Only called once JSON.parse has
 * failed, so it checks the grammar without building values. Deliberate difference: Python also
 * accepts NaN and Infinity; we treat them as the invalid JSON they are.
 */
function locateJsonError(text: string): JsonErrorSite | undefined {
  try {
    new JsonScanner(text).scanDocument();
    return undefined;
  } catch (error) {
    if (error instanceof JsonScanError) return { message: error.message, pos: [...text.slice(0, error.pos)].length };
    return undefined; // e.g. nesting too deep for the call stack: report without a position
  }
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

class JsonScanner {
  constructor(private readonly text: string) {}

  scanDocument(): void {
    const end = this.skipWhitespace(this.scanValue(this.skipWhitespace(0)));
    if (end !== this.text.length) throw new JsonScanError('Extra data', end);
  }

  private skipWhitespace(pos: number): number {
    while (pos < this.text.length && ' \t\n\r'.includes(this.text.charAt(pos))) pos += 1;
    return pos;
  }

  /** Returns the position just after the value that starts at `pos`. */
  private scanValue(pos: number): number {
    const char = this.text.charAt(pos);
    if (char === '"') return this.scanString(pos);
    if (char === '{') return this.scanObject(pos);
    if (char === '[') return this.scanArray(pos);
    for (const literal of ['null', 'true', 'false']) {
      if (this.text.startsWith(literal, pos)) return pos + literal.length;
    }
    JSON_NUMBER.lastIndex = pos;
    if (JSON_NUMBER.test(this.text)) return JSON_NUMBER.lastIndex;
    throw new JsonScanError('Expecting value', pos);
  }

  private scanString(start: number): number {
    let pos = start + 1;
    for (;;) {
      if (pos >= this.text.length) throw new JsonScanError('Unterminated string starting at', start);
      const code = this.text.charCodeAt(pos);
      if (code === 0x22) return pos + 1; // closing quote
      if (code < 0x20) throw new JsonScanError('Invalid control character at', pos);
      if (code === 0x5c) pos = this.scanEscape(start, pos);
      else pos += 1;
    }
  }

  /** `backslash` is the position of the backslash; returns the position after the escape. */
  private scanEscape(stringStart: number, backslash: number): number {
    if (backslash + 1 >= this.text.length) throw new JsonScanError('Unterminated string starting at', stringStart);
    const escape = this.text.charAt(backslash + 1);
    if (SIMPLE_ESCAPES.has(escape)) return backslash + 2;
    if (escape !== 'u') throw new JsonScanError('Invalid \\escape', backslash);
    // CPython also blames the escape when the text ends right after it (no closing quote).
    const hex = this.text.slice(backslash + 2, backslash + 6);
    if (!HEX4.test(hex) || backslash + 6 >= this.text.length) throw new JsonScanError('Invalid \\uXXXX escape', backslash + 1);
    return backslash + 6;
  }

  private scanObject(open: number): number {
    let pos = this.skipWhitespace(open + 1);
    if (this.text.charAt(pos) === '}') return pos + 1;
    for (;;) {
      if (this.text.charAt(pos) !== '"') throw new JsonScanError('Expecting property name enclosed in double quotes', pos);
      pos = this.skipWhitespace(this.scanString(pos));
      if (this.text.charAt(pos) !== ':') throw new JsonScanError("Expecting ':' delimiter", pos);
      pos = this.skipWhitespace(this.scanValue(this.skipWhitespace(pos + 1)));
      if (this.text.charAt(pos) === '}') return pos + 1;
      if (this.text.charAt(pos) !== ',') throw new JsonScanError("Expecting ',' delimiter", pos);
      pos = this.skipWhitespace(pos + 1);
    }
  }

  private scanArray(open: number): number {
    let pos = this.skipWhitespace(open + 1);
    if (this.text.charAt(pos) === ']') return pos + 1;
    for (;;) {
      pos = this.skipWhitespace(this.scanValue(pos));
      if (this.text.charAt(pos) === ']') return pos + 1;
      if (this.text.charAt(pos) !== ',') throw new JsonScanError("Expecting ',' delimiter", pos);
      pos = this.skipWhitespace(pos + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------

/**
 * Query parameters as FastAPI validates scalar ones: a repeated parameter counts with its last
 * value (Starlette's QueryParams), and `?limit=` is the empty string, not an absent parameter.
 */
export function parseQuery(query: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  for (const name of Object.keys(shape)) {
    if (!Object.hasOwn(query, name)) continue;
    const value = query[name];
    source[name] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  return validateFields(source, shape, ['query'], null);
}

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

const TYPE_SCHEMAS: Record<FieldType, Record<string, unknown>> = {
  str: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  bool: { type: 'boolean' },
  object: { type: 'object', additionalProperties: true },
  dict_str_str: { type: 'object', additionalProperties: { type: 'string' } },
};

// pydantic titles a field from its name: "session_id" -> "Session Id".
function titleOf(name: string): string {
  return name
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join(' ');
}

/** The JSON Schema pydantic would publish for the shape (OpenAPI 3.1: nullable as `anyOf`). */
export function shapeToJsonSchema(shape: Shape): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(shape)) {
    const base = structuredClone(TYPE_SCHEMAS[spec.type]);
    const property: Record<string, unknown> = spec.nullable ? { anyOf: [base, { type: 'null' }] } : base;
    property.title = titleOf(name);
    if (spec.description !== undefined) property.description = spec.description;
    if (spec.required) required.push(name);
    else if (spec.default !== undefined) property.default = structuredClone(spec.default);
    properties[name] = property;
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}
