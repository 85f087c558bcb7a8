import { AppError } from '../../src/errors.js';
import { parseJsonBody, parseQuery, RequestValidationError, shapeToJsonSchema } from '../../src/server/rest/validation.js';
import type { FieldType, Shape, ValidationIssue } from '../../src/server/rest/validation.js';

// Expected items were taken from pydantic 2.13 / CPython 3.11 `json` (the reference's stack).

const turnShape: Shape = {
  message: { type: 'str', required: true },
  idempotency_key: { type: 'str', nullable: true, default: null },
  wait_for_completion: { type: 'bool', default: true },
  wait_timeout_seconds: { type: 'float', default: 300.0 },
};

/** The issues a call throws; fails the test when it does not throw a RequestValidationError. */
function issuesOf(call: () => unknown): ValidationIssue[] {
  try {
    call();
  } catch (error) {
    if (error instanceof RequestValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a RequestValidationError');
}

const body = (raw: string | Buffer | undefined, shape: Shape = turnShape, bodyRequired = true): Record<string, unknown> =>
  parseJsonBody(raw, shape, { bodyRequired });

/** Validates `{"v": value}` against a one-field shape of the given type. */
function one(type: FieldType, value: unknown, extra: Partial<Shape[string]> = {}): unknown {
  return body(JSON.stringify({ v: value }), { v: { type, required: true, ...extra } }).v;
}
function oneIssue(type: FieldType, value: unknown, extra: Partial<Shape[string]> = {}): ValidationIssue | undefined {
  return issuesOf(() => one(type, value, extra))[0];
}

const INT_PARSING = 'Input should be a valid integer, unable to parse string as an integer';

describe('body presence and JSON', () => {
  it('reports a missing required body at loc ["body"]', () => {
    const expected = [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }];
    expect(issuesOf(() => body(undefined))).toEqual(expected);
    expect(issuesOf(() => body(''))).toEqual(expected);
    expect(issuesOf(() => body(Buffer.alloc(0)))).toEqual(expected);
    // FastAPI treats a JSON null body as no body at all.
    expect(issuesOf(() => body('null'))).toEqual(expected);
  });

  it('applies the defaults when an optional body is absent', () => {
    const shape: Shape = { params: { type: 'dict_str_str', default: {} }, note: { type: 'str', nullable: true } };
    expect(body(undefined, shape, false)).toEqual({ params: {} });
    expect(body('null', shape, false)).toEqual({ params: {} });
  });

  it('reports invalid JSON with the Python decoder message and position', () => {
    expect(issuesOf(() => body('{"message": }'))).toEqual([
      { type: 'json_invalid', loc: ['body', 12], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } },
    ]);
    const site = (raw: string): [unknown, unknown] => {
      const found = issuesOf(() => body(raw))[0];
      return [found?.loc[1], found?.ctx?.error];
    };
    expect(site("{'message': 'x'}")).toEqual([1, 'Expecting property name enclosed in double quotes']);
    expect(site('{"a":1,}')).toEqual([7, 'Expecting property name enclosed in double quotes']);
    expect(site('{"a" 1}')).toEqual([5, "Expecting ':' delimiter"]);
    expect(site('{"a":1 "b":2}')).toEqual([7, "Expecting ',' delimiter"]);
    expect(site('[1,]')).toEqual([3, 'Expecting value']);
    expect(site('{"a":1}}')).toEqual([7, 'Extra data']);
    expect(site('   ')).toEqual([3, 'Expecting value']);
    expect(site('{"message": "abc')).toEqual([12, 'Unterminated string starting at']);
    expect(site('"a\nb"')).toEqual([2, 'Invalid control character at']);
    expect(site('"a\\x"')).toEqual([2, 'Invalid \\escape']);
    expect(site('"ab\\uZZZZ"')).toEqual([4, 'Invalid \\uXXXX escape']);
    expect(site('"\\u00e9')).toEqual([2, 'Invalid \\uXXXX escape']);
    // Python counts positions in code points, not UTF-16 units.
    expect(site('{"é😀":x}')).toEqual([6, 'Expecting value']);
    // Deliberately stricter than Python: NaN and Infinity are not JSON.
    expect(site('{"v": NaN}')).toEqual([6, 'Expecting value']);
  });

  it('skips a UTF-8 BOM and refuses bytes that are not UTF-8 with a 400', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"message":"hi"}')]);
    expect(body(withBom).message).toBe('hi');
    expect(() => body(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(AppError);
    expect(() => body(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow('There was an error parsing the body');
  });

  it('refuses a body that is JSON but not an object', () => {
    for (const value of [[], 3, 'x', true]) {
      expect(issuesOf(() => body(JSON.stringify(value)))).toEqual([
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: value,
        },
      ]);
    }
  });
});

describe('body fields', () => {
  it('reports a missing field with the whole body as input', () => {
    expect(issuesOf(() => body('{"wait_for_completion": false}'))).toEqual([
      { type: 'missing', loc: ['body', 'message'], msg: 'Field required', input: { wait_for_completion: false } },
    ]);
  });

  it('applies defaults, keeps explicit nulls on nullable fields and ignores unknown fields', () => {
    expect(body('{"message": "", "extra": 1}')).toEqual({
      message: '',
      idempotency_key: null,
      wait_for_completion: true,
      wait_timeout_seconds: 300,
    });
    expect(body('{"message": "m", "idempotency_key": null}').idempotency_key).toBeNull();
    expect(body('{"message": "m", "idempotency_key": "k"}').idempotency_key).toBe('k');
  });

  it('gives every request its own copy of a default', () => {
    const shape: Shape = { metadata: { type: 'object', default: {} } };
    const first = body('{}', shape);
    (first.metadata as Record<string, unknown>).mutated = true;
    expect(body('{}', shape).metadata).toEqual({});
  });

  it('collects all issues in field declaration order', () => {
    const raw = JSON.stringify({ wait_timeout_seconds: 'soon', wait_for_completion: 'maybe', message: 5 });
    expect(issuesOf(() => body(raw))).toEqual([
      { type: 'string_type', loc: ['body', 'message'], msg: 'Input should be a valid string', input: 5 },
      {
        type: 'bool_parsing',
        loc: ['body', 'wait_for_completion'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        input: 'maybe',
      },
      {
        type: 'float_parsing',
        loc: ['body', 'wait_timeout_seconds'],
        msg: 'Input should be a valid number, unable to parse string as a number',
        input: 'soon',
      },
    ]);
  });

  it('gives a non-nullable field that is null its type error', () => {
    expect(oneIssue('str', null)).toEqual({ type: 'string_type', loc: ['body', 'v'], msg: 'Input should be a valid string', input: null });
    expect(oneIssue('int', null)?.type).toBe('int_type');
    expect(oneIssue('object', null)?.type).toBe('dict_type');
    expect(one('int', null, { nullable: true })).toBeNull();
  });
});

describe('str', () => {
  it('accepts only strings', () => {
    expect(one('str', '')).toBe('');
    for (const value of [1, 1.5, true, [], {}]) {
      expect(oneIssue('str', value)).toEqual({ type: 'string_type', loc: ['body', 'v'], msg: 'Input should be a valid string', input: value });
    }
  });
});

describe('int', () => {
  it('accepts integers, whole floats, integer strings and booleans', () => {
    expect(one('int', 60)).toBe(60);
    expect(one('int', 60.0)).toBe(60);
    expect(one('int', '60')).toBe(60);
    expect(one('int', ' 60 ')).toBe(60);
    expect(one('int', '-5')).toBe(-5);
    expect(one('int', '+5')).toBe(5);
    expect(one('int', '1_000')).toBe(1000);
    expect(one('int', '60.00')).toBe(60); // pydantic 2.13 accepts a zero fraction in a string
    expect(one('int', '-0')).toBe(0);
    expect(Object.is(one('int', '-0'), -0)).toBe(false);
    expect(one('int', true)).toBe(1);
    expect(one('int', false)).toBe(0);
  });

  it('refuses fractions, unparseable strings and other types', () => {
    expect(oneIssue('int', 60.5)).toEqual({
      type: 'int_from_float',
      loc: ['body', 'v'],
      msg: 'Input should be a valid integer, got a number with a fractional part',
      input: 60.5,
    });
    for (const value of ['abc', '', '60.5', '60.', '6e1', '0x10', '1__0']) {
      expect(oneIssue('int', value)).toEqual({ type: 'int_parsing', loc: ['body', 'v'], msg: INT_PARSING, input: value });
    }
    for (const value of [[], {}]) {
      expect(oneIssue('int', value)).toEqual({ type: 'int_type', loc: ['body', 'v'], msg: 'Input should be a valid integer', input: value });
    }
  });

  it('refuses integers a JS number cannot hold exactly', () => {
    expect(oneIssue('int', 2 ** 60)?.type).toBe('int_parsing_size');
    expect(oneIssue('int', '99999999999999999999')).toEqual({
      type: 'int_parsing_size',
      loc: ['body', 'v'],
      msg: 'Unable to parse input string as an integer, exceeded maximum size',
      input: '99999999999999999999',
    });
    expect(one('int', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('float', () => {
  it('accepts numbers, numeric strings and booleans', () => {
    expect(one('float', 1)).toBe(1);
    expect(one('float', 1.5)).toBe(1.5);
    expect(one('float', '1.5')).toBe(1.5);
    expect(one('float', ' 2 ')).toBe(2);
    expect(one('float', '.5')).toBe(0.5);
    expect(one('float', '5.')).toBe(5);
    expect(one('float', '1e3')).toBe(1000);
    expect(one('float', true)).toBe(1);
  });

  it('refuses bad strings, other types and non-finite values', () => {
    for (const value of ['abc', '', '1e', '0x1']) {
      expect(oneIssue('float', value)).toEqual({
        type: 'float_parsing',
        loc: ['body', 'v'],
        msg: 'Input should be a valid number, unable to parse string as a number',
        input: value,
      });
    }
    for (const value of [[], {}]) {
      expect(oneIssue('float', value)).toEqual({ type: 'float_type', loc: ['body', 'v'], msg: 'Input should be a valid number', input: value });
    }
    // Deliberately stricter than the reference: inf and nan behave as with allow_inf_nan=False.
    for (const value of ['inf', '-Infinity', 'nan', '1e400']) {
      expect(oneIssue('float', value)).toEqual({ type: 'finite_number', loc: ['body', 'v'], msg: 'Input should be a finite number', input: value });
    }
  });
});

describe('bool', () => {
  it('accepts booleans, 0/1 and the pydantic words in any case', () => {
    expect(one('bool', true)).toBe(true);
    expect(one('bool', 0)).toBe(false);
    expect(one('bool', 1)).toBe(true);
    for (const word of ['1', 'on', 't', 'true', 'y', 'yes', 'YES', 'True']) expect(one('bool', word)).toBe(true);
    for (const word of ['0', 'off', 'f', 'false', 'n', 'no', 'NO', 'False']) expect(one('bool', word)).toBe(false);
  });

  it('distinguishes uninterpretable input from input of the wrong type', () => {
    const parsing = 'Input should be a valid boolean, unable to interpret input';
    for (const value of ['maybe', ' yes ', '', '2', 2, -1]) {
      expect(oneIssue('bool', value)).toEqual({ type: 'bool_parsing', loc: ['body', 'v'], msg: parsing, input: value });
    }
    for (const value of [1.5, [], {}]) {
      expect(oneIssue('bool', value)).toEqual({ type: 'bool_type', loc: ['body', 'v'], msg: 'Input should be a valid boolean', input: value });
    }
  });
});

describe('object and dict_str_str', () => {
  it('accepts any JSON object for object fields', () => {
    expect(one('object', { a: [1, { b: null }] })).toEqual({ a: [1, { b: null }] });
    for (const value of [[], 'x', 1]) {
      expect(oneIssue('object', value)).toEqual({ type: 'dict_type', loc: ['body', 'v'], msg: 'Input should be a valid dictionary', input: value });
    }
  });

  it('reports each non-string value of a dict_str_str under its key', () => {
    expect(one('dict_str_str', { a: 'b' })).toEqual({ a: 'b' });
    expect(issuesOf(() => one('dict_str_str', { a: 1, b: 'ok', c: null }))).toEqual([
      { type: 'string_type', loc: ['body', 'v', 'a'], msg: 'Input should be a valid string', input: 1 },
      { type: 'string_type', loc: ['body', 'v', 'c'], msg: 'Input should be a valid string', input: null },
    ]);
    expect(oneIssue('dict_str_str', ['a'])?.type).toBe('dict_type');
  });
});

describe('parseQuery', () => {
  const listShape: Shape = { since_id: { type: 'int', default: 0 }, limit: { type: 'int', default: 500 } };

  it('coerces query strings and applies defaults', () => {
    expect(parseQuery({}, listShape)).toEqual({ since_id: 0, limit: 500 });
    expect(parseQuery({ limit: '10', other: 'x' }, listShape)).toEqual({ since_id: 0, limit: 10 });
  });

  it('reports bad values at loc ["query", name]', () => {
    expect(issuesOf(() => parseQuery({ limit: 'abc', since_id: '' }, listShape))).toEqual([
      { type: 'int_parsing', loc: ['query', 'since_id'], msg: INT_PARSING, input: '' },
      { type: 'int_parsing', loc: ['query', 'limit'], msg: INT_PARSING, input: 'abc' },
    ]);
  });

  it('uses the last value of a repeated parameter', () => {
    expect(parseQuery({ limit: ['1', '7'] }, listShape).limit).toBe(7);
  });

  it('reports a missing required parameter with a null input', () => {
    expect(issuesOf(() => parseQuery({}, { q: { type: 'str', required: true } }))).toEqual([
      { type: 'missing', loc: ['query', 'q'], msg: 'Field required', input: null },
    ]);
  });
});

describe('shapeToJsonSchema', () => {
  it('describes the shape as pydantic would', () => {
    expect(
      shapeToJsonSchema({
        ...turnShape,
        params: { type: 'dict_str_str', default: {}, description: 'Template values.' },
        metadata: { type: 'object', nullable: true },
        count: { type: 'int', required: true },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        message: { type: 'string', title: 'Message' },
        idempotency_key: { anyOf: [{ type: 'string' }, { type: 'null' }], title: 'Idempotency Key', default: null },
        wait_for_completion: { type: 'boolean', title: 'Wait For Completion', default: true },
        wait_timeout_seconds: { type: 'number', title: 'Wait Timeout Seconds', default: 300 },
        params: { type: 'object', additionalProperties: { type: 'string' }, title: 'Params', description: 'Template values.', default: {} },
        metadata: { anyOf: [{ type: 'object', additionalProperties: true }, { type: 'null' }], title: 'Metadata' },
        count: { type: 'integer', title: 'Count' },
      },
      required: ['message', 'count'],
    });
  });
});
