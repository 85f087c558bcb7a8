import { formatList, formatQueryResult, formatSchema, formatWrite, pyBytesRepr, pyRowRepr } from '../../../src/agent/tools/connector/format.js';
import { SqlDecimal } from '../../../src/agent/tools/connector/types.js';

describe('pyRowRepr', () => {
  it('prints a row as Python prints a list', () => {
    expect(pyRowRepr([1n, 'eu', 10.5, null, true, false])).toBe("[1, 'eu', 10.5, None, True, False]");
    expect(pyRowRepr([])).toBe('[]');
  });

  it('prints top-level numbers as floats and bigints as ints', () => {
    expect(pyRowRepr([3, 3n, -0, 1e21, 1e-5, 0.1, NaN, Infinity, -Infinity])).toBe(
      '[3.0, 3, -0.0, 1e+21, 1e-05, 0.1, nan, inf, -inf]',
    );
    expect(pyRowRepr([123456789012345678901234567890n])).toBe('[123456789012345678901234567890]');
  });

  it('quotes and escapes strings as repr() does', () => {
    expect(pyRowRepr(["it's", 'say "hi"', 'both \' and "', 'a\nb\tc\\', '\x00é😀'])).toBe(
      `["it's", 'say "hi"', 'both \\' and "', 'a\\nb\\tc\\\\', '\\x00é😀']`,
    );
  });

  it('prints nested JSON values with JSON number rules, bytes and decimals', () => {
    expect(pyRowRepr([[1, 2.5, 'x'], { a: 1, b: [null] }])).toBe("[[1, 2.5, 'x'], {'a': 1, 'b': [None]}]");
    expect(pyRowRepr([Buffer.from([0x61, 0x00, 0xff, 0x27])])).toBe(`[b"a\\x00\\xff'"]`);
    expect(pyRowRepr([new SqlDecimal('10.50')])).toBe("[Decimal('10.50')]");
  });
});

describe('pyBytesRepr', () => {
  it('escapes like Python bytes', () => {
    expect(pyBytesRepr(Buffer.from('ab\t\n\r\\'))).toBe("b'ab\\t\\n\\r\\\\'");
    expect(pyBytesRepr(Buffer.from(`'"`))).toBe(`b'\\'"'`);
    expect(pyBytesRepr(new Uint8Array([0x7f, 0x80]))).toBe("b'\\x7f\\x80'");
  });
});

describe('formatList', () => {
  it('lists connectors with their type and description', () => {
    expect(
      formatList([
        { id: 'localdb', type: 'sqlite', description: '/data/a.db' },
        { id: 'remote', type: 'unknown', description: '' },
      ]),
    ).toBe('Available connectors:\n- localdb (sqlite) - /data/a.db\n- remote (unknown)');
    expect(formatList([])).toBe('No connectors available.');
  });
});

describe('formatSchema', () => {
  it('sorts tables and marks tables without columns', () => {
    expect(formatSchema('db', { sales: ['id', 'amount'], audit: [], Zeta: ['z'] })).toBe(
      "Schema for connector 'db':\n- Zeta: z\n- audit: (no columns)\n- sales: id, amount",
    );
    expect(formatSchema('db', {})).toBe("Connector 'db' has no discoverable tables.");
  });
});

describe('formatQueryResult', () => {
  it('shows counts, columns and a numbered preview', () => {
    expect(
      formatQueryResult('localdb', { columns: ['id', 'amount'], rows: [[1n, 10.5]], rowCount: 1, truncated: false }),
    ).toBe(
      "Connector 'localdb' query completed.\nRows returned: 1 (row_count=1, truncated=False).\nColumns: id, amount\nPreview:\n  1: [1, 10.5]",
    );
  });

  it('omits the columns line and the preview when there are none', () => {
    expect(formatQueryResult('db', { columns: [], rows: [], rowCount: 0, truncated: false })).toBe(
      "Connector 'db' query completed.\nRows returned: 0 (row_count=0, truncated=False).",
    );
  });

  it('previews 20 rows and counts the rest', () => {
    const rows = Array.from({ length: 25 }, (_, i) => [BigInt(i)]);
    const text = formatQueryResult('db', { columns: ['n'], rows, rowCount: 26, truncated: true });
    const lines = text.split('\n');
    expect(lines[1]).toBe('Rows returned: 25 (row_count=26, truncated=True).');
    expect(lines[4]).toBe('  1: [0]');
    expect(lines[23]).toBe('  20: [19]');
    expect(lines[24]).toBe('  ... (5 more rows in payload)');
    expect(lines).toHaveLength(25);
  });

  it('adds no "more rows" line at exactly 20 rows', () => {
    const rows = Array.from({ length: 20 }, () => ['x']);
    expect(formatQueryResult('db', { columns: ['c'], rows, rowCount: 20, truncated: false })).not.toContain('more rows');
  });
});

describe('formatWrite', () => {
  it('reports the affected rows', () => {
    expect(formatWrite('db', 3)).toBe("Connector 'db' write executed successfully. Affected rows: 3.");
  });
});
