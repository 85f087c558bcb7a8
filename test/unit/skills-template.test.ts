// Expected values were produced by running CPython 3.11: `string.Formatter().parse` and
// `template.format(**params)` wrapped the way the original service wraps them, plus
// decisions.md item 9 (positional placeholders refused when parsed; rendering fails only with
// a 400). They are literals on purpose: the test must not depend on a Python install.

import { AppError, ErrorCode } from '../../src/errors.js';
import { MAX_RENDERED_LENGTH, parseTemplate, renderTemplate } from '../../src/skills/template.js';

interface Refused {
  error: string;
}
type ParseCase = [template: string, expected: string[] | Refused];
type RenderCase = [template: string, params: Record<string, string>, expected: string | Refused];

/** The value, or the message of the 400 it was refused with; anything else fails the test. */
function outcome<T>(run: () => T): T | Refused {
  try {
    return run();
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.BAD_USER_INPUT) return { error: error.message };
    throw error;
  }
}

const parseCases: Record<string, ParseCase[]> = {
  "required params": [
    ["Show churn by {dimension} for {period}.", ["dimension", "period"]],
    ["No placeholders at all.", []],
    ["{b} {a} {b} { a } {a}", ["a", "b"]],
    ["{{literal}} {x} {{y}}", ["x"]],
    ["{ }", []],
    ["{a!r} {b:>5} {c!a:*^9}", ["a", "b", "c"]],
    ["{a:{b}}", ["a"]],
    ["{\u00e9}{z}{Z}{\ud83d\ude00}{\uff01}{a}", ["Z", "a", "z", "\u00e9", "\uff01", "\ud83d\ude00"]],
    ["{ 0 }", ["0"]],
    ["{\t metric\n}", ["metric"]],
    ["{\u001cmetric\u0085}", ["metric"]],
    ["{\ufeffmetric}", ["\ufeffmetric"]],
    ["{a!x}", ["a"]],
    ["{a:d}", ["a"]],
    ["{a:{b!}}", ["a"]],
    ["{a:{b:{c}}}", ["a"]],
    ["{a!}}", ["a"]],
  ],
  "unsupported placeholders": [
    ["Summarize {payload.metric}.", { error: "Unsupported placeholder 'payload.metric'. Use simple names like '{metric}'." }],
    ["{x[0]}", { error: "Unsupported placeholder 'x[0]'. Use simple names like '{metric}'." }],
    ["{ a.b }", { error: "Unsupported placeholder 'a.b'. Use simple names like '{metric}'." }],
    ["{a]}", { error: "Unsupported placeholder 'a]'. Use simple names like '{metric}'." }],
    ["{a[}]}", { error: "Unsupported placeholder 'a[}]'. Use simple names like '{metric}'." }],
    ["{0.x}", { error: "Unsupported placeholder '0.x'. Use simple names like '{metric}'." }],
    ["{[0]}", { error: "Unsupported placeholder '[0]'. Use simple names like '{metric}'." }],
    ["{a.b} {", { error: "Unsupported placeholder 'a.b'. Use simple names like '{metric}'." }],
    ["{a:{b.c}}", { error: "Unsupported placeholder 'b.c'. Use simple names like '{metric}'." }],
    ["{a:{b[0]}}", { error: "Unsupported placeholder 'b[0]'. Use simple names like '{metric}'." }],
    ["{a:{ b.c }}", { error: "Unsupported placeholder 'b.c'. Use simple names like '{metric}'." }],
  ],
  "positional placeholders": [
    ["{}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{0}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{1}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["x {} y {name}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{!r}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{:>3}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{\u0663}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{12}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a:{}}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a:{0}}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{ :{}}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a:>{}}", { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a} {0", { error: "expected '}' before end of string" }],
  ],
  "syntax errors": [
    ["{", { error: "Single '{' encountered in format string" }],
    ["}", { error: "Single '}' encountered in format string" }],
    ["a}b", { error: "Single '}' encountered in format string" }],
    ["x}}y}", { error: "Single '}' encountered in format string" }],
    ["{{}", { error: "Single '}' encountered in format string" }],
    ["{a", { error: "expected '}' before end of string" }],
    ["{a!", { error: "end of string while looking for conversion specifier" }],
    ["{a!r", { error: "unmatched '{' in format spec" }],
    ["{a!}", { error: "unmatched '{' in format spec" }],
    ["{a!}x", { error: "expected ':' after conversion specifier" }],
    ["{a!rr}", { error: "expected ':' after conversion specifier" }],
    ["{a:", { error: "unmatched '{' in format spec" }],
    ["{a:{", { error: "unmatched '{' in format spec" }],
    ["{a:{b}", { error: "unmatched '{' in format spec" }],
    ["{a{b}", { error: "unexpected '{' in field name" }],
    ["{a[}", { error: "expected '}' before end of string" }],
    ["{a[0]", { error: "expected '}' before end of string" }],
    ["ok {a} then {", { error: "Single '{' encountered in format string" }],
    ["{ {a.b}", { error: "unexpected '{' in field name" }],
  ],
};

const renderCases: Record<string, RenderCase[]> = {
  "plain and literals": [
    ["Summarize churn by {dimension} for {period}.", {"dimension": "cohort", "period": "Q1"}, "Summarize churn by cohort for Q1."],
    ["Summarize {segment} performance.", {"segment": "enterprise", "unused": "ignored"}, "Summarize enterprise performance."],
    ["{{a}} = {a}", {"a": "x"}, "{a} = x"],
    ["}}{{", {}, "}{"],
    ["{a}{a}{b}", {"a": "1", "b": "2"}, "112"],
    ["{a} ", {"a": "  value  "}, "  value   "],
  ],
  "conversions": [
    ["{a!r}", {"a": "x"}, "'x'"],
    ["{a!r}", {"a": "it's"}, "\"it's\""],
    ["{a!r}", {"a": "say \"hi\""}, "'say \"hi\"'"],
    ["{a!r}", {"a": "both ' and \""}, "'both \\' and \"'"],
    ["{a!r}", {"a": "line\nnext\ttab\r\u000b\u0000\u007f"}, "'line\\nnext\\ttab\\r\\x0b\\x00\\x7f'"],
    ["{a!r}", {"a": "back\\slash"}, "'back\\\\slash'"],
    ["{a!r}", {"a": "\u00e9\u20ac\ud83d\ude00"}, "'\u00e9\u20ac\ud83d\ude00'"],
    ["{a!r}", {"a": "\u200b\u00a0\u2028\u0085\ud800"}, "'\\u200b\\xa0\\u2028\\x85\\ud800'"],
    ["{a!r}", {"a": ""}, "''"],
    ["{a!a}", {"a": "x"}, "'x'"],
    ["{a!a}", {"a": "it's"}, "\"it's\""],
    ["{a!a}", {"a": "say \"hi\""}, "'say \"hi\"'"],
    ["{a!a}", {"a": "both ' and \""}, "'both \\' and \"'"],
    ["{a!a}", {"a": "line\nnext\ttab\r\u000b\u0000\u007f"}, "'line\\nnext\\ttab\\r\\x0b\\x00\\x7f'"],
    ["{a!a}", {"a": "back\\slash"}, "'back\\\\slash'"],
    ["{a!a}", {"a": "\u00e9\u20ac\ud83d\ude00"}, "'\\xe9\\u20ac\\U0001f600'"],
    ["{a!a}", {"a": "\u200b\u00a0\u2028\u0085\ud800"}, "'\\u200b\\xa0\\u2028\\x85\\ud800'"],
    ["{a!a}", {"a": ""}, "''"],
    ["{a!s}", {"a": "x"}, "x"],
    ["{a!s}", {"a": "it's"}, "it's"],
    ["{a!s}", {"a": "say \"hi\""}, "say \"hi\""],
    ["{a!s}", {"a": "both ' and \""}, "both ' and \""],
    ["{a!s}", {"a": "line\nnext\ttab\r\u000b\u0000\u007f"}, "line\nnext\ttab\r\u000b\u0000\u007f"],
    ["{a!s}", {"a": "back\\slash"}, "back\\slash"],
    ["{a!s}", {"a": "\u00e9\u20ac\ud83d\ude00"}, "\u00e9\u20ac\ud83d\ude00"],
    ["{a!s}", {"a": "\u200b\u00a0\u2028\u0085\ud800"}, "\u200b\u00a0\u2028\u0085\ud800"],
    ["{a!s}", {"a": ""}, { error: "Rendered skill prompt is empty." }],
    ["{a!r:>8}", {"a": "x"}, "     'x'"],
    ["{a!a:.3}", {"a": "\u00e9"}, "'\\x"],
  ],
  "format specs": [
    ["{a:>5}", {"a": "x"}, "    x"],
    ["{a:>5}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:*^9}", {"a": "x"}, "****x****"],
    ["{a:*^9}", {"a": "abc\u00e9\ud83d\ude00"}, "**abc\u00e9\ud83d\ude00**"],
    ["{a:.2}", {"a": "x"}, "x"],
    ["{a:.2}", {"a": "abc\u00e9\ud83d\ude00"}, "ab"],
    ["{a:<10.3}", {"a": "x"}, "x         "],
    ["{a:<10.3}", {"a": "abc\u00e9\ud83d\ude00"}, "abc       "],
    ["{a:5}", {"a": "x"}, "x    "],
    ["{a:5}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:s}", {"a": "x"}, "x"],
    ["{a:s}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:^6}", {"a": "x"}, "  x   "],
    ["{a:^6}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00 "],
    ["{a:05}", {"a": "x"}, "x0000"],
    ["{a:05}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:0}", {"a": "x"}, "x"],
    ["{a:0}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:\u00e9>5}", {"a": "x"}, "\u00e9\u00e9\u00e9\u00e9x"],
    ["{a:\u00e9>5}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:\ud83d\ude00^5}", {"a": "x"}, "\ud83d\ude00\ud83d\ude00x\ud83d\ude00\ud83d\ude00"],
    ["{a:\ud83d\ude00^5}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:>}", {"a": "x"}, "x"],
    ["{a:>}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:.0}", {"a": "x"}, { error: "Rendered skill prompt is empty." }],
    ["{a:.0}", {"a": "abc\u00e9\ud83d\ude00"}, { error: "Rendered skill prompt is empty." }],
    ["{a:\u0665}", {"a": "x"}, "x    "],
    ["{a:\u0665}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:\ud835\udfd3}", {"a": "x"}, "x    "],
    ["{a:\ud835\udfd3}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:>2}", {"a": "x"}, " x"],
    ["{a:>2}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:0<4.1}", {"a": "x"}, "x000"],
    ["{a:0<4.1}", {"a": "abc\u00e9\ud83d\ude00"}, "a000"],
    ["{a:}", {"a": "x"}, "x"],
    ["{a:}", {"a": "abc\u00e9\ud83d\ude00"}, "abc\u00e9\ud83d\ude00"],
    ["{a:{b}}", {"a": "x", "b": ">5"}, "    x"],
    ["{a:{b}}", {"a": "x", "b": ""}, "x"],
    ["{a:{b}{c}}", {"a": "abcdef", "b": "^", "c": ".3"}, "abc"],
    ["{a:{b!r}}", {"a": "x", "b": "5"}, { error: "Invalid format specifier ''5'' for object of type 'str'" }],
    ["{a:{{}}}", {"a": "x"}, { error: "Invalid format specifier '{}' for object of type 'str'" }],
  ],
  "format spec errors": [
    ["{a:+}", {"a": "x"}, { error: "Sign not allowed in string format specifier" }],
    ["{a:-}", {"a": "x"}, { error: "Sign not allowed in string format specifier" }],
    ["{a: }", {"a": "x"}, { error: "Space not allowed in string format specifier" }],
    ["{a:z}", {"a": "x"}, { error: "Negative zero coercion (z) not allowed in string format specifier" }],
    ["{a:#}", {"a": "x"}, { error: "Alternate form (#) not allowed in string format specifier" }],
    ["{a:=5}", {"a": "x"}, { error: "'=' alignment not allowed in string format specifier" }],
    ["{a:0=5}", {"a": "x"}, { error: "'=' alignment not allowed in string format specifier" }],
    ["{a:,}", {"a": "x"}, { error: "Cannot specify ',' with 's'." }],
    ["{a:_}", {"a": "x"}, { error: "Cannot specify '_' with 's'." }],
    ["{a:,_}", {"a": "x"}, { error: "Cannot specify both ',' and '_'." }],
    ["{a:_,}", {"a": "x"}, { error: "Cannot specify both ',' and '_'." }],
    ["{a:,x}", {"a": "x"}, { error: "Cannot specify ',' with 'x'." }],
    ["{a:,,}", {"a": "x"}, { error: "Cannot specify ',' with ','." }],
    ["{a:.}", {"a": "x"}, { error: "Format specifier missing precision" }],
    ["{a:d}", {"a": "x"}, { error: "Unknown format code 'd' for object of type 'str'" }],
    ["{a:.2x}", {"a": "x"}, { error: "Unknown format code 'x' for object of type 'str'" }],
    ["{a:\u00e9}", {"a": "x"}, { error: "Unknown format code '\\xe9' for object of type 'str'" }],
    ["{a:\ud83d\ude00}", {"a": "x"}, { error: "Unknown format code '\\x1f600' for object of type 'str'" }],
    ["{a:\u0001}", {"a": "x"}, { error: "Unknown format code '\\x1' for object of type 'str'" }],
    ["{a:\u007f}", {"a": "x"}, { error: "Unknown format code '\u007f' for object of type 'str'" }],
    ["{a:xx}", {"a": "x"}, { error: "Invalid format specifier 'xx' for object of type 'str'" }],
    ["{a:+,}", {"a": "x"}, { error: "Cannot specify ',' with 's'." }],
    ["{a:+d}", {"a": "x"}, { error: "Unknown format code 'd' for object of type 'str'" }],
    ["{a:99999999999999999999}", {"a": "x"}, { error: "Too many decimal digits in format string" }],
    ["{a:.99999999999999999999}", {"a": "x"}, { error: "Too many decimal digits in format string" }],
    ["{a!x}", {"a": "x"}, { error: "Unknown conversion specifier x" }],
    ["{a!\u00e9}", {"a": "x"}, { error: "Unknown conversion specifier \\xe9" }],
    ["{a! }", {"a": "x"}, { error: "Unknown conversion specifier \\x20" }],
    ["{a!\u0001}", {"a": "x"}, { error: "Unknown conversion specifier \\x1" }],
    ["{a!}}", {"a": "x"}, { error: "Unknown conversion specifier }" }],
    ["{a:d}{a:+}", {"a": "x"}, { error: "Unknown format code 'd' for object of type 'str'" }],
    ["{a:{b}}", {"a": "x", "b": "+"}, { error: "Sign not allowed in string format specifier" }],
    ["{a:{b:{c}}}", {"a": "x", "b": "1", "c": "2"}, { error: "Max string recursion exceeded" }],
    ["{a:{b!}}", {"a": "x", "b": "1"}, { error: "unmatched '{' in format spec" }],
    ["{a:{b!x}}", {"a": "x", "b": "1"}, { error: "Unknown conversion specifier x" }],
    ["{a:{b}}", {"a": "x", "b": "{}"}, { error: "Invalid format specifier '{}' for object of type 'str'" }],
  ],
  "missing params": [
    ["Summarize {segment} performance.", {}, { error: "Missing required skill params: segment" }],
    ["{b}{a}{c}", {"c": "x"}, { error: "Missing required skill params: a, b" }],
    ["{b}{a}{c}", {}, { error: "Missing required skill params: a, b, c" }],
    ["{ metric }", {"metric": "churn"}, { error: "Missing required skill param:  metric " }],
    ["{a:{b}}", {"a": "x"}, { error: "Missing required skill param: b" }],
    ["{ }", {}, { error: "Missing required skill param:  " }],
    ["{ }", {" ": "space key"}, "space key"],
    ["{constructor}", {}, { error: "Missing required skill params: constructor" }],
    ["{toString}", {}, { error: "Missing required skill params: toString" }],
    ["{ a } {b}", {"a": "x"}, { error: "Missing required skill params: b" }],
  ],
  "empty result": [
    ["{a}", {"a": ""}, { error: "Rendered skill prompt is empty." }],
    ["{a}", {"a": " \n\t\u001c\u0085\u3000"}, { error: "Rendered skill prompt is empty." }],
    [" {a} ", {"a": ""}, { error: "Rendered skill prompt is empty." }],
    ["{a}", {"a": "\ufeff"}, "\ufeff"],
    ["{a:0}", {"a": ""}, { error: "Rendered skill prompt is empty." }],
    ["{a:3}", {"a": ""}, { error: "Rendered skill prompt is empty." }],
  ],
  "refused templates": [
    ["{0}", {"0": "x"}, { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{}", {}, { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a:{}}", {"a": "x"}, { error: "Positional placeholders are not supported: use named placeholders like '{metric}'." }],
    ["{a.b}", {"a": "x"}, { error: "Unsupported placeholder 'a.b'. Use simple names like '{metric}'." }],
    ["{a:{b.c}}", {"a": "x", "b": "y"}, { error: "Unsupported placeholder 'b.c'. Use simple names like '{metric}'." }],
    ["{a", {"a": "x"}, { error: "expected '}' before end of string" }],
  ],
};

describe('parseTemplate', () => {
  describe.each(Object.entries(parseCases))('%s', (_group, cases) => {
    test.each(cases)('%j', (template, expected) => {
      expect(outcome(() => parseTemplate(template).requiredParams)).toEqual(expected);
    });
  });
});

describe('renderTemplate', () => {
  describe.each(Object.entries(renderCases))('%s', (_group, cases) => {
    test.each(cases)('%j with %j', (template, params, expected) => {
      expect(outcome(() => renderTemplate(template, params))).toEqual(expected);
    });
  });

  test('looks params up as own keys only, as a JSON body delivers them', () => {
    const params = JSON.parse('{"__proto__": "own key"}') as Record<string, string>;
    expect(renderTemplate('{__proto__}', params)).toBe('own key');
    expect(outcome(() => renderTemplate('{hasOwnProperty}', {}))).toEqual({
      error: 'Missing required skill params: hasOwnProperty',
    });
  });

  test('refuses a huge width with a 400 instead of running out of memory', () => {
    const error = { error: `Rendered skill prompt exceeds ${MAX_RENDERED_LENGTH} characters.` };
    expect(outcome(() => renderTemplate('{a:99999999999}', { a: 'x' }))).toEqual(error);
    expect(outcome(() => renderTemplate(`{a:>${MAX_RENDERED_LENGTH + 1}}`, { a: 'x' }))).toEqual(error);
    expect(outcome(() => renderTemplate(`<{a:${MAX_RENDERED_LENGTH}}>`, { a: 'x' }))).toEqual(error);
    expect(renderTemplate(`{a:${MAX_RENDERED_LENGTH}}`, { a: 'x' })).toHaveLength(MAX_RENDERED_LENGTH);
  });

  test('refuses a param repeated past the size limit', () => {
    const big = 'x'.repeat(1_000_000);
    expect(outcome(() => renderTemplate('{a}'.repeat(5), { a: big }))).toEqual({
      error: `Rendered skill prompt exceeds ${MAX_RENDERED_LENGTH} characters.`,
    });
    expect(outcome(() => renderTemplate('{b:{a}{a}{a}{a}{a}}', { a: big, b: 'x' }))).toEqual({
      error: `Rendered skill prompt exceeds ${MAX_RENDERED_LENGTH} characters.`,
    });
    expect(renderTemplate('{a}'.repeat(4), { a: big })).toHaveLength(4_000_000);
  });

  test('counts width and precision in code points, not UTF-16 units', () => {
    expect(renderTemplate('[{a:4}]', { a: '\u{1F600}\u{1F600}' })).toBe('[\u{1F600}\u{1F600}  ]');
    expect(renderTemplate('[{a:.1}]', { a: '\u{1F600}\u{1F600}' })).toBe('[\u{1F600}]');
  });
});
