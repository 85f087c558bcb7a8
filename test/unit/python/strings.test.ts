import {
  compareCodePoints,
  pyAsciiString,
  pyDecimalValue,
  pyFloatRepr,
  pyInt,
  pyIntOr,
  pyRepr,
  pyReprString,
  pyStr,
  pyStrip,
  pyTruthy,
  PY_WHITESPACE_RUN,
} from '../../../src/python/strings.js';

// Expected values were checked against CPython 3.
describe('pyInt (Python int())', () => {
  it.each<[unknown, bigint | null]>([
    [91, 91n],
    [91.9, 91n],
    [-91.9, -91n],
    [true, 1n],
    [false, 0n],
    ['91', 91n],
    [' 91\n', 91n],
    ['+7', 7n],
    ['-7', -7n],
    ['007', 7n],
    ['1_000', 1000n],
    ['\u00a0\u3000 42 ', 42n],
    ['٩١', 91n],
    ['５', 5n],
    ['𝟘𝟙', 1n],
    ['99999999999999999999999', 99999999999999999999999n],
    [1e30, 1000000000000000019884624838656n],
    ['91.5', null],
    ['', null],
    [' ', null],
    ['1__0', null],
    ['_1', null],
    ['1_', null],
    ['0x10', null],
    ['1e3', null],
    ['\x1c1', null],
    ['\ufeff1', null],
    [null, null],
    [[1], null],
    [{}, null],
    [NaN, null],
    [Infinity, null],
  ])('int(%p) → %p', (value, expected) => {
    expect(pyInt(value)).toBe(expected);
  });

  it('uses the fallback for a missing key and for values int() refuses', () => {
    expect(pyIntOr(undefined, 1000n)).toBe(1000n);
    expect(pyIntOr(null, 1000n)).toBe(1000n);
    expect(pyIntOr('lots', 1000n)).toBe(1000n);
    expect(pyIntOr(0, 1000n)).toBe(0n);
  });
});

describe('pyStr and pyRepr (Python str() / repr())', () => {
  it.each<[unknown, string]>([
    ['as is', 'as is'],
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [5, '5'],
    [0.5, '0.5'],
    [1e21, '1e+21'],
    [NaN, 'nan'],
    [['DROP TABLE x', 1, null], "['DROP TABLE x', 1, None]"],
    [{ a: "it's", b: [true] }, '{\'a\': "it\'s", \'b\': [True]}'],
    [['both \' and "'], "['both \\' and \"']"],
    [['tab\there\x00\x7f é \u00a0 \u200b 😀'], "['tab\\there\\x00\\x7f é \\xa0 \\u200b 😀']"],
  ])('str(%p) → %s', (value, text) => {
    expect(pyStr(value)).toBe(text);
  });

  it('repr quotes a plain string', () => {
    expect(pyRepr('a\\b')).toBe("'a\\\\b'");
  });
});

describe('pyStrip', () => {
  it('strips Python whitespace (including \\x1c-\\x1f and \\x85) but not U+FEFF', () => {
    expect(pyStrip(' \t\n\x0b\x0c\r\x1c\x1f\x85\u00a0\u2003\u3000 select \u3000')).toBe('select');
    expect(pyStrip('\ufeffselect')).toBe('\ufeffselect');
  });
});

describe('pyTruthy', () => {
  it.each<[unknown, boolean]>([
    [null, false],
    [undefined, false],
    ['', false],
    [0, false],
    [false, false],
    [[], false],
    [{}, false],
    [NaN, true],
    ['0', true],
    [[0], true],
    [{ a: 1 }, true],
  ])('bool(%p) → %p', (value, expected) => {
    expect(pyTruthy(value)).toBe(expected);
  });
});

describe('pyFloatRepr (Python repr() of a float)', () => {
  it.each([
    [1, '1.0'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-100, '1e-100'],
    [NaN, 'nan'],
    [-Infinity, '-inf'],
  ])('%p → %s', (value, text) => {
    expect(pyFloatRepr(value)).toBe(text);
  });
});

describe('pyReprString, pyAsciiString and pyStrip', () => {
  test.each([
    ['plain', "'plain'"],
    ["it's", '"it\'s"'],
    ['\u00e9\u0301', "'\u00e9\u0301'"],
    ['\u00ad\ue000\uffff\u{E0001}', "'\\xad\\ue000\\uffff\\U000e0001'"],
    ['\u{10FFFF}', "'\\U0010ffff'"],
  ])('repr(%j) is %j', (value, expected) => {
    expect(pyReprString(value)).toBe(expected);
  });

  test.each([
    ['plain', "'plain'"],
    ['\u00e9\u20ac\u{1F600}', "'\\xe9\\u20ac\\U0001f600'"],
    ['tab\there', "'tab\\there'"],
  ])('ascii(%j) is %j', (value, expected) => {
    expect(pyAsciiString(value)).toBe(expected);
  });

  test.each([
    ['  a b  ', 'a b'],
    ['\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000a', 'a'],
    ['\ufeffa\ufeff', '\ufeffa\ufeff'],
    ['\u200ba\u200b', '\u200ba\u200b'],
    [' \t\n\v\f\r ', ''],
  ])('strip(%j) is %j', (value, expected) => {
    expect(pyStrip(value)).toBe(expected);
  });
});

describe('compareCodePoints', () => {
  it('orders astral characters after U+FFFF', () => {
    expect(['\u{10000}', '\uffff', 'b', 'a', 'ab'].sort(compareCodePoints)).toEqual(['a', 'ab', 'b', '\uffff', '\u{10000}']);
  });
});

// The governance copy of strip() (and int()'s trim) was an anchored regex, `^[ws]+|[ws]+$`, which
// backtracks quadratically over a whitespace run inside the text: 40,000 spaces took seconds.
// Python's strip is linear; a long param value in a rendered skill prompt must stay cheap.
describe('strip() and int() on long whitespace runs', () => {
  const run = ' \u3000'.repeat(100_000);

  it('strip() keeps an inner run, in linear time', () => {
    const started = performance.now();
    expect(pyStrip(`x${run}x`)).toBe(`x${run}x`);
    expect(pyStrip(`${run}x${run}`)).toBe('x');
    expect(pyStrip(run)).toBe('');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('int() refuses an inner run and trims outer ones, in linear time', () => {
    const started = performance.now();
    expect(pyInt(`1${run}2`)).toBeNull();
    expect(pyInt(`${run}12${run}`)).toBe(12n);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('PY_WHITESPACE_RUN', () => {
  it('matches runs of Python whitespace only', () => {
    expect('a \t\x1c\x85\u3000b\ufeffc\u200bd'.replace(PY_WHITESPACE_RUN, ' ')).toBe('a b\ufeffc\u200bd');
  });
});

describe('repr() and ascii() of C1 controls and invisible characters', () => {
  it.each([
    ['a\x85b', "'a\\x85b'", "'a\\x85b'"],
    ['\u2028\u200b\ufeff\ud800', "'\\u2028\\u200b\\ufeff\\ud800'", "'\\u2028\\u200b\\ufeff\\ud800'"],
    ['\u00e9\u{1F600}', "'\u00e9\u{1F600}'", "'\\xe9\\U0001f600'"],
  ])('%j', (value, repr, ascii) => {
    expect(pyReprString(value)).toBe(repr);
    expect(pyAsciiString(value)).toBe(ascii);
  });
});

describe('pyDecimalValue (unicodedata.decimal(ch, -1))', () => {
  it.each([
    ['7', 7],
    ['\u0663', 3],
    ['\uff15', 5],
    ['\u{1D7D7}', 9],
    ['a', -1],
    ['_', -1],
    ['', -1],
  ])('%j → %p', (ch, value) => {
    expect(pyDecimalValue(ch)).toBe(value);
  });
});
