// The local SQLite connector end to end: real files, the tool's texts, and decisions.md item 18
// (query runs read-only; sample quotes its table name).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConnectorHub } from '../../../src/agent/tools/connector/hub.js';
import type { ConnectorConfig } from '../../../src/agent/tools/connector/hub.js';
import { runConnectorTool } from '../../../src/agent/tools/connector/tool.js';
import type { ConnectorHub } from '../../../src/agent/tools/connector/types.js';

let dir: string;
let file: string;
let hub: ConnectorHub;

const config = (map: Record<string, string>): ConnectorConfig => ({
  mode: 'local',
  apiBaseUrl: null,
  apiToken: null,
  apiPathPrefix: '/v1',
  timeoutSeconds: 30,
  localSqliteMap: map,
  postgresMap: {},
});

function run(input: Record<string, unknown>): Promise<string> {
  return runConnectorTool(input, hub, null);
}

/** Reads the file directly, outside the connector. */
function inspect<T>(use: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

const tableNames = (): string[] =>
  inspect((db) => db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all());
const saleCount = (): number => inspect((db) => db.prepare<[], number>('SELECT count(*) FROM sales').pluck().get() ?? -1);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'anton-connector-'));
  file = path.join(dir, 'local.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, amount REAL);
    INSERT INTO sales (region, amount) VALUES ('eu', 10.5), ('us', 3.0), ('apac', 7.25);
    CREATE TABLE "odd ""name""" (x);
    CREATE TABLE empty_table (a TEXT, b BLOB);
  `);
  db.close();
  const created = createConnectorHub(config({ localdb: 'local.db' }), { baseDir: dir });
  if (created === null) throw new Error('expected a hub');
  hub = created;
});

afterEach(async () => {
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

it('lists, reads the schema and queries (reference test 30)', async () => {
  const list = await run({ action: 'list' });
  expect(list).toBe('Available connectors:\n- localdb (sqlite) - local.db');

  const schema = await run({ action: 'schema', connector_id: 'localdb' });
  expect(schema).toContain('sales');
  expect(schema).toContain('amount');
  expect(schema).toBe(
    "Schema for connector 'localdb':\n- empty_table: a, b\n- odd \"name\": x\n- sales: id, region, amount",
  );

  const query = await run({ action: 'query', connector_id: 'localdb', query: 'SELECT region, amount FROM sales ORDER BY id', limit: 10 });
  expect(query).toContain('Rows returned');
  expect(query).toContain('10.5');
  expect(query).toBe(
    [
      "Connector 'localdb' query completed.",
      'Rows returned: 3 (row_count=3, truncated=False).',
      'Columns: region, amount',
      'Preview:',
      "  1: ['eu', 10.5]",
      "  2: ['us', 3.0]",
      "  3: ['apac', 7.25]",
    ].join('\n'),
  );
});

it('fetches limit + 1 rows and reports truncation as the reference does', async () => {
  const text = await run({ action: 'query', connector_id: 'localdb', query: 'SELECT id FROM sales ORDER BY id', limit: 2 });
  expect(text).toBe(
    "Connector 'localdb' query completed.\nRows returned: 2 (row_count=3, truncated=True).\nColumns: id\nPreview:\n  1: [1]\n  2: [2]",
  );
  const exact = await hub.query('localdb', 'SELECT id FROM sales', 3, null);
  expect(exact).toMatchObject({ rowCount: 3, truncated: false });
  expect(exact.rows).toEqual([[1n], [2n], [3n]]);
});

it('previews 20 rows of a long result', async () => {
  const text = await run({
    action: 'query',
    connector_id: 'localdb',
    query: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) SELECT i, i * 0.5 AS half FROM n',
    limit: 25,
  });
  expect(text).toContain('Rows returned: 25 (row_count=26, truncated=True).');
  expect(text).toContain('  20: [20, 10.0]');
  expect(text).toContain('  ... (5 more rows in payload)');
});

it('never lets DDL or DML persist through query', async () => {
  for (const statement of [
    'CREATE TABLE created_by_query (a)',
    'DROP TABLE empty_table',
    "INSERT INTO sales (region, amount) VALUES ('x', 1)",
    'DELETE FROM sales',
    "UPDATE sales SET region = 'changed'",
    'SELECT 1; DELETE FROM sales',
    "INSERT INTO sales (region) VALUES ('y') RETURNING id",
  ]) {
    const text = await run({ action: 'query', connector_id: 'localdb', query: statement });
    expect(text).toMatch(/^Connector action failed: SQLite query failed: /);
  }
  expect(tableNames()).toEqual(['empty_table', 'odd "name"', 'sales']);
  expect(saleCount()).toBe(3);
  expect(inspect((db) => db.prepare<[], string>('SELECT group_concat(region) FROM sales').pluck().get())).toBe('eu,us,apac');
});

it('samples with the table name quoted, so an injection attempt is harmless', async () => {
  const sample = await hub.sample('localdb', 'odd "name"', 5, null);
  expect(sample.query).toBe('SELECT * FROM "odd ""name""" LIMIT 5');
  expect(sample.rows).toEqual([]);

  await expect(run({ action: 'sample', connector_id: 'localdb', table: 'sales', limit: 2 })).resolves.toBe(
    "Connector 'localdb' query completed.\nRows returned: 2 (row_count=2, truncated=False).\nColumns: id, region, amount\nPreview:\n  1: [1, 'eu', 10.5]\n  2: [2, 'us', 3.0]",
  );

  const attack = await run({ action: 'sample', connector_id: 'localdb', table: 'sales; DROP TABLE empty_table; --' });
  expect(attack).toBe('Connector action failed: SQLite query failed: no such table: sales; DROP TABLE empty_table; --');
  const quoteAttack = await run({ action: 'sample', connector_id: 'localdb', table: 'sales" ; DROP TABLE empty_table; --' });
  expect(quoteAttack).toMatch(/^Connector action failed: SQLite query failed: no such table: /);
  expect(tableNames()).toEqual(['empty_table', 'odd "name"', 'sales']);
});

it('writes and commits, reporting affected rows', async () => {
  await expect(
    run({ action: 'write', connector_id: 'localdb', query: "UPDATE sales SET region = upper(region) WHERE amount > 5" }),
  ).resolves.toBe("Connector 'localdb' write executed successfully. Affected rows: 2.");
  await expect(run({ action: 'write', connector_id: 'localdb', query: 'CREATE TABLE notes (body TEXT)' })).resolves.toBe(
    "Connector 'localdb' write executed successfully. Affected rows: 0.",
  );
  expect(tableNames()).toContain('notes');
  expect(inspect((db) => db.prepare<[], string>('SELECT group_concat(region) FROM sales').pluck().get())).toBe('EU,us,APAC');

  const failed = await run({ action: 'write', connector_id: 'localdb', query: "INSERT INTO missing VALUES (1)" });
  expect(failed).toBe('Connector action failed: SQLite write failed: no such table: missing');
});

it('names unknown connectors and missing files', async () => {
  await expect(run({ action: 'schema', connector_id: 'other' })).resolves.toBe(
    "Connector action failed: Unknown connector_id 'other'.",
  );
  const missingHub = createConnectorHub(config({ gone: 'nowhere/gone.db' }), { baseDir: dir });
  const text = await runConnectorTool({ action: 'query', connector_id: 'gone', query: 'SELECT 1' }, missingHub, null);
  expect(text).toBe(`Connector action failed: SQLite database for connector 'gone' not found: ${path.join(dir, 'nowhere/gone.db')}`);
  await missingHub?.close();
});

it('reports SQL errors of query with the SQLite prefix', async () => {
  await expect(run({ action: 'query', connector_id: 'localdb', query: 'SELECT nope FROM sales' })).resolves.toBe(
    'Connector action failed: SQLite query failed: no such column: nope',
  );
});
