import { pythonJsonDumps } from '../../../src/python/json.js';

// Expected texts below were produced by Python 3's `json.dumps(value, sort_keys=True)`.
describe('pythonJsonDumps', () => {
  it('sorts keys at every level and uses ", " and ": " separators', () => {
    expect(pythonJsonDumps({ b: [1, 2.5, { z: null, a: true }], a: 'x' })).toBe(
      '{"a": "x", "b": [1, 2.5, {"a": true, "z": null}]}',
    );
  });

  it('prints scalars as Python does', () => {
    expect(pythonJsonDumps(null)).toBe('null');
    expect(pythonJsonDumps(true)).toBe('true');
    expect(pythonJsonDumps(false)).toBe('false');
    expect(pythonJsonDumps('')).toBe('""');
    expect(pythonJsonDumps(0)).toBe('0');
    expect(pythonJsonDumps(-42)).toBe('-42');
  });

  it('prints empty and nested containers', () => {
    expect(pythonJsonDumps([[], {}, [[]], { a: {} }])).toBe('[[], {}, [[]], {"a": {}}]');
  });

  it('escapes quotes, backslashes and the short control escapes, and leaves "/" alone', () => {
    expect(pythonJsonDumps({ esc: '"\\\n\r\t\b\f/' })).toBe('{"esc": "\\"\\\\\\n\\r\\t\\b\\f/"}');
  });

  it('escapes other control characters and DEL as \\u00XX', () => {
    expect(pythonJsonDumps('\x00\x01\x1f\x7f')).toBe('"\\u0000\\u0001\\u001f\\u007f"');
  });

  it('escapes non-ASCII as lowercase \\uXXXX, astral characters as surrogate pairs', () => {
    expect(pythonJsonDumps('café € 😀 \u2028')).toBe('"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u2028"');
    expect(pythonJsonDumps('\ud800x')).toBe('"\\ud800x"');
  });

  it('sorts keys by code point, not by UTF-16 code unit', () => {
    expect(pythonJsonDumps({ '\uffff': 1, '\u{10000}': 2, a: 3, B: 4, '': 5, é: 6 })).toBe(
      '{"": 5, "B": 4, "a": 3, "\\u00e9": 6, "\\uffff": 1, "\\ud800\\udc00": 2}',
    );
  });

  it('prints non-integral numbers as Python float repr', () => {
    expect(
      pythonJsonDumps([0.1, 0.2 + 0.1, 1e-4, 1e-5, 1e15 + 0.5, 1.5e300, -2.5e-7, 123456.789, 5e-324, 1.7976931348623157e308]),
    ).toBe(
      '[0.1, 0.30000000000000004, 0.0001, 1e-05, 1000000000000000.5, 1.5e+300, -2.5e-07, 123456.789, 5e-324, 1.7976931348623157e+308]',
    );
  });

  it('prints integral numbers below 1e21 as integers and larger ones as floats', () => {
    expect(pythonJsonDumps([1e20, 1e16, 2 ** 53, 1e21, 1e22, -0])).toBe(
      '[100000000000000000000, 10000000000000000, 9007199254740992, 1e+21, 1e+22, 0]',
    );
  });

  it('prints NaN and infinities as Python allow_nan does', () => {
    expect(pythonJsonDumps([NaN, Infinity, -Infinity])).toBe('[NaN, Infinity, -Infinity]');
  });

  it('prints a bigint as its exact digits', () => {
    expect(pythonJsonDumps({ n: 123456789012345678901234567890n })).toBe('{"n": 123456789012345678901234567890}');
  });

  it('follows JSON.stringify for undefined and toJSON', () => {
    expect(pythonJsonDumps({ a: undefined, b: [undefined, 1] })).toBe('{"b": [null, 1]}');
    expect(pythonJsonDumps({ when: new Date(0) })).toBe('{"when": "1970-01-01T00:00:00.000Z"}');
  });

  it('refuses circular structures and an unserialisable top-level value', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => pythonJsonDumps(loop)).toThrow(TypeError);
    expect(() => pythonJsonDumps(undefined)).toThrow(TypeError);
  });

  it('allows the same object twice when it is not circular', () => {
    const shared = { x: 1 };
    expect(pythonJsonDumps([shared, shared])).toBe('[{"x": 1}, {"x": 1}]');
  });
});
