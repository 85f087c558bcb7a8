// Python's semantics for str and for the built-ins applied to JSON values, where code here must
// behave exactly as the Python reference does: `str.strip()`, `str.isspace()`, `repr()` and
// `ascii()` of a str, `str()` and `repr()` of a JSON value, `int()`, `bool()`, and Python's
// ordering of str. Tool handlers that read the same input fields as the governance policy (the
// connector's `limit`, the actions) should use these too, so that the two never disagree.
//
// Python counts in code points; so does everything here. Character classes (whitespace,
// printable, decimal digits) follow the Unicode tables of the running Node, which may be newer
// than those of the reference's Python: characters assigned since are the only ones that can differ.

// ---------------------------------------------------------------------------------------------
// Whitespace and strip()

/**
 * The characters Python's `str.isspace()` accepts, which `str.strip()` removes. JavaScript's
 * `trim()` differs: it keeps \x1c-\x1f and \x85, and removes U+FEFF.
 */
export const PY_WHITESPACE =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** One run of Python whitespace. */
export const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'gu');

const WHITESPACE: ReadonlySet<string> = new Set(PY_WHITESPACE);
/** `int()` trims the same whitespace as `strip()` except the ASCII separators \x1c-\x1f. */
const INT_WHITESPACE: ReadonlySet<string> = new Set(Array.from(PY_WHITESPACE).filter((ch) => ch < '\x1c' || ch > '\x1f'));

/**
 * Removes leading and trailing characters in `chars`. Every whitespace character is in the BMP,
 * so walking UTF-16 units is walking code points. A loop, not a regex: an anchored regex such as
 * `\s+$` backtracks quadratically over a long whitespace run inside the text.
 */
function stripOf(text: string, chars: ReadonlySet<string>): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.has(text.charAt(start))) start += 1;
  while (end > start && chars.has(text.charAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/** Python's `str.strip()` with no argument. */
export function pyStrip(text: string): string {
  return stripOf(text, WHITESPACE);
}

// ---------------------------------------------------------------------------------------------
// repr() and ascii() of a str

/** Python's `str.isprintable()` is false for these: other (C*) and separator (Z*) characters but space. */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hexEscape(codePoint: number): string {
  if (codePoint <= 0xff) return `\\x${codePoint.toString(16).padStart(2, '0')}`;
  if (codePoint <= 0xffff) return `\\u${codePoint.toString(16).padStart(4, '0')}`;
  return `\\U${codePoint.toString(16).padStart(8, '0')}`;
}

function quoted(text: string, escapeNonAscii: boolean): string {
  // Single quotes unless that would need escaping and double quotes would not.
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of text) {
    const codePoint = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') body += `\\${ch}`;
    else if (ch === '\t') body += '\\t';
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (codePoint < 0x20 || codePoint === 0x7f) body += hexEscape(codePoint);
    else if (codePoint < 0x7f) body += ch;
    else if (escapeNonAscii || NOT_PRINTABLE.test(ch)) body += hexEscape(codePoint);
    else body += ch;
  }
  return quote + body + quote;
}

/** Python's `repr()` of a str: the quote it picks and its escapes. */
export function pyReprString(text: string): string {
  return quoted(text, false);
}

/** Python's `ascii()` of a str: its repr with every non-ASCII character escaped too. */
export function pyAsciiString(text: string): string {
  return quoted(text, true);
}

// ---------------------------------------------------------------------------------------------
// Numbers as Python prints them

/** Python's `repr()` (and `str()`) of a float. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip, as Python's repr.
  const [mantissa = '', exponentText = '0'] = n.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const exponent = Number(exponentText);
  // Python's "decpt": the decimal point sits after this many digits.
  const decpt = exponent + 1;
  let body: string;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) body = `0.${'0'.repeat(-decpt)}${digits}`;
    else if (decpt >= digits.length) body = `${digits}${'0'.repeat(decpt - digits.length)}.0`;
    else body = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  } else {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const sign = exponent < 0 ? '-' : '+';
    body = `${digits.slice(0, 1)}${fraction}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return negative ? `-${body}` : body;
}

/**
 * Python's `str()` of the number a JSON parser would have produced for `n`. JavaScript cannot tell
 * `5` (int) from `5.0` (float); the rule, chosen to match what a parser hands us for the literals
 * models write:
 * - a number that is an integer with |n| < 1e21 prints as an integer (`5`, `-3`, `100000000000000000000`),
 *   as Python prints the int that an integer literal parses to;
 * - every other number prints as Python's float `repr` does: the shortest text that round-trips,
 *   fixed notation when the decimal exponent lies in [-4, 16), scientific otherwise
 *   (`0.1`, `1e-05`, `1.5e+300`, `1e+21`), and `nan`, `inf`, `-inf`.
 * Integers beyond 2^53 already lost their exact value when the JSON was parsed; nothing can restore it.
 */
export function pyNumberStr(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return Object.is(n, -0) ? '0' : String(n);
  return pyFloatRepr(n);
}

// ---------------------------------------------------------------------------------------------
// str(), repr() and bool() of JSON values

/** Python's `repr()` of a JSON value (how lists and dicts print their items). */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return pyReprString(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => pyRepr(item)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${pyReprString(key)}: ${pyRepr(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return pyStr(value);
}

/**
 * Python's `str()` of a JSON value: strings unchanged, `None`, `True`/`False`, numbers as Python
 * prints the int or float a JSON parser would have produced (`pyNumberStr`), lists and dicts as their repr.
 */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumberStr(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value) || typeof value === 'object') return pyRepr(value);
  return String(value);
}

/** Python's `bool(x)` for a JSON value. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (typeof value === 'number') return value !== 0; // NaN is truthy in Python too
  if (typeof value === 'bigint') return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Decimal digits and int()

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Python's `unicodedata.decimal(ch, -1)`: the value of a decimal digit (general category Nd, any
 * script), -1 for anything else. Unicode encodes every set of decimal digits as a run of ten, 0 to
 * 9, so the value is the distance from the start of the contiguous block of digits, modulo ten
 * (some blocks hold several runs back to back).
 */
export function pyDecimalValue(ch: string): number {
  const codePoint = ch.codePointAt(0) ?? 0;
  if (ch.length === 1 && codePoint >= 0x30 && codePoint <= 0x39) return codePoint - 0x30;
  if (!DECIMAL_DIGIT.test(ch)) return -1;
  let start = codePoint;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return (codePoint - start) % 10;
}

const INT_TEXT = /^([+-]?)(\p{Nd}(?:_?\p{Nd})*)$/u;

/**
 * Python's `int(x)` for a JSON value, or null where Python raises. Strings: surrounding whitespace
 * (Unicode whitespace, but not the ASCII separators \x1c-\x1f),
 * a sign, any Unicode decimal digits, single underscores between digits (`" 1_000 "` → 1000,
 * `"91.5"` → null). Numbers truncate toward zero (`91.9` → 91); NaN and ±Infinity give null (Python
 * raises ValueError and OverflowError). Booleans are 1 and 0. A bigint, so that huge values print
 * exactly in messages, as Python's unbounded ints do.
 */
export function pyInt(value: unknown): bigint | null {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : null;
  if (typeof value !== 'string') return null;
  const match = INT_TEXT.exec(stripOf(value, INT_WHITESPACE));
  if (!match) return null;
  const digits = Array.from(match[2] ?? '')
    .filter((ch) => ch !== '_')
    .map((ch) => String(pyDecimalValue(ch)))
    .join('');
  const magnitude = BigInt(digits);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** `int(value)` where a missing key gives `fallback` and a value Python cannot convert gives it too. */
export function pyIntOr(value: unknown, fallback: bigint): bigint {
  return value === undefined ? fallback : (pyInt(value) ?? fallback);
}

// ---------------------------------------------------------------------------------------------
// Ordering

/** Python's ordering of str: by code point (JS's default sort compares UTF-16 units, which differs past U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const difference = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
}
