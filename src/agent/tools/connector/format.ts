// The texts the connector tool hands the model (reference-behaviour.md §11, "Result formatting"),
// with rows printed as Python prints a list. The cell convention is in types.ts.

import { compareCodePoints, pyFloatRepr, pyNumberStr, pyReprString } from '../../../python/strings.js';
import type { ConnectorInfo, QueryResult } from './types.js';
import { SqlDecimal } from './types.js';

/** Rows printed under `Preview:`; the rest are counted. */
export const PREVIEW_ROWS = 20;

/** Python's `repr()` of bytes: `b'…'`, printable ASCII as itself, \t \n \r and \\ escaped, the rest `\xNN`. */
export function pyBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let body = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (ch === quote || ch === '\\') body += `\\${ch}`;
    else if (byte === 0x09) body += '\\t';
    else if (byte === 0x0a) body += '\\n';
    else if (byte === 0x0d) body += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) body += `\\x${byte.toString(16).padStart(2, '0')}`;
    else body += ch;
  }
  return `b${quote}${body}${quote}`;
}

function valueRepr(value: unknown, topLevel: boolean): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyReprString(value);
  if (typeof value === 'bigint') return value.toString();
  // A top-level number is a float (integers arrive as bigint); nested ones follow JSON's rule.
  if (typeof value === 'number') return topLevel ? pyFloatRepr(value) : pyNumberStr(value);
  if (value instanceof SqlDecimal) return `Decimal(${pyReprString(value.text)})`;
  if (value instanceof Uint8Array) return pyBytesRepr(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => valueRepr(item, false)).join(', ')}]`;
  if (value instanceof Date) return pyReprString(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${pyReprString(key)}: ${valueRepr(item, false)}`);
    return `{${entries.join(', ')}}`;
  }
  return pyReprString(String(value));
}

/** One row as Python prints a list of its cells: `[1, 'a', None, 10.5]`. */
export function pyRowRepr(row: readonly unknown[]): string {
  return `[${row.map((cell) => valueRepr(cell, true)).join(', ')}]`;
}

export function formatList(connectors: readonly ConnectorInfo[]): string {
  if (connectors.length === 0) return 'No connectors available.';
  const lines = ['Available connectors:'];
  for (const connector of connectors) {
    const description = connector.description ? ` - ${connector.description}` : '';
    lines.push(`- ${connector.id} (${connector.type})${description}`);
  }
  return lines.join('\n');
}

export function formatSchema(connectorId: string, tables: Readonly<Record<string, readonly string[]>>): string {
  const names = Object.keys(tables).sort(compareCodePoints);
  if (names.length === 0) return `Connector '${connectorId}' has no discoverable tables.`;
  const lines = [`Schema for connector '${connectorId}':`];
  for (const name of names) {
    const columns = tables[name] ?? [];
    lines.push(`- ${name}: ${columns.length > 0 ? columns.join(', ') : '(no columns)'}`);
  }
  return lines.join('\n');
}

/** The text of a `query` or `sample` result (both say "query completed", as the reference). */
export function formatQueryResult(connectorId: string, result: QueryResult): string {
  const { columns, rows } = result;
  const lines = [
    `Connector '${connectorId}' query completed.`,
    `Rows returned: ${rows.length} (row_count=${result.rowCount}, truncated=${result.truncated ? 'True' : 'False'}).`,
  ];
  if (columns.length > 0) lines.push(`Columns: ${columns.join(', ')}`);
  if (rows.length > 0) {
    lines.push('Preview:');
    rows.slice(0, PREVIEW_ROWS).forEach((row, index) => lines.push(`  ${index + 1}: ${pyRowRepr(row)}`));
    if (rows.length > PREVIEW_ROWS) lines.push(`  ... (${rows.length - PREVIEW_ROWS} more rows in payload)`);
  }
  return lines.join('\n');
}

export function formatWrite(connectorId: string, affectedRows: number): string {
  return `Connector '${connectorId}' write executed successfully. Affected rows: ${affectedRows}.`;
}
