// The PostgreSQL connector on a real database of the run's PostgreSQL: read-only query and sample,
// committed writes, schema from information_schema, and local mode serving it beside SQLite.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConnectorHub } from '../../../src/agent/tools/connector/hub.js';
import { runConnectorTool } from '../../../src/agent/tools/connector/tool.js';
import type { ConnectorHub } from '../../../src/agent/tools/connector/types.js';
import { localConnectorHub } from '../../kit/connectors.js';
import { createTestDatabase, withClient } from '../../kit/db.js';
import type { TestDatabase } from '../../kit/db.js';

let database: TestDatabase;
let dir: string;
let hub: ConnectorHub;

function run(input: Record<string, unknown>): Promise<string> {
  return runConnectorTool(input, hub, null);
}

async function tables(): Promise<string[]> {
  return withClient(database.url, async (client) => {
    const result = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'conn_%' ORDER BY 1",
    );
    return result.rows.map((row) => row.name);
  });
}

async function regions(): Promise<string> {
  return withClient(database.url, async (client) => {
    const result = await client.query<{ list: string }>('SELECT string_agg(region, \',\' ORDER BY id) AS list FROM conn_sales');
    return result.rows[0]?.list ?? '';
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  await withClient(database.url, async (client) => {
    await client.query(`
      CREATE TABLE conn_sales (id serial PRIMARY KEY, region text NOT NULL, amount numeric(10, 2), ratio double precision, big bigint, ok boolean, sold_on date);
      INSERT INTO conn_sales (region, amount, ratio, big, ok, sold_on) VALUES
        ('eu', 10.5, 3.0, 9007199254740993, true, '2024-01-02'),
        ('us', 3, 0.25, NULL, false, NULL),
        ('apac', 7.25, NULL, -1, NULL, '2024-03-04');
      CREATE TABLE "conn_odd ""name""" (x int);
    `);
  });
  dir = await mkdtemp(path.join(os.tmpdir(), 'anton-connector-pg-'));
  const sqlite = new Database(path.join(dir, 'local.db'));
  sqlite.exec("CREATE TABLE sales (id INTEGER, amount REAL); INSERT INTO sales VALUES (1, 10.5);");
  sqlite.close();
  hub = localConnectorHub(dir, { localdb: 'local.db' }, { warehouse: database.url });
});

afterAll(async () => {
  await hub?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('lists the PostgreSQL connector beside the SQLite one, without a password', async () => {
  const text = await run({ action: 'list' });
  const lines = text.split('\n');
  expect(lines[0]).toBe('Available connectors:');
  expect(lines[1]).toBe('- localdb (sqlite) - local.db');
  expect(lines[2]).toMatch(/^- warehouse \(postgresql\) - postgres(ql)?:\/\//);
  const password = new URL(database.url).password;
  if (password) expect(text).not.toContain(password);
});

it('reads the schema of the public tables in column order', async () => {
  const schema = await hub.schema('warehouse');
  expect(schema.conn_sales).toEqual(['id', 'region', 'amount', 'ratio', 'big', 'ok', 'sold_on']);
  expect(schema['conn_odd "name"']).toEqual(['x']);
  const text = await run({ action: 'schema', connector_id: 'warehouse' });
  expect(text).toContain('- conn_sales: id, region, amount, ratio, big, ok, sold_on');
});

it('queries with Python-style rows and truncation', async () => {
  const text = await run({ action: 'query', connector_id: 'warehouse', query: 'SELECT * FROM conn_sales ORDER BY id', limit: 2 });
  expect(text).toContain('Rows returned');
  expect(text).toContain('10.5');
  expect(text).toBe(
    [
      "Connector 'warehouse' query completed.",
      'Rows returned: 2 (row_count=3, truncated=True).',
      'Columns: id, region, amount, ratio, big, ok, sold_on',
      'Preview:',
      "  1: [1, 'eu', Decimal('10.50'), 3.0, 9007199254740993, True, '2024-01-02']",
      "  2: [2, 'us', Decimal('3.00'), 0.25, None, False, None]",
    ].join('\n'),
  );
  // Statements a cursor cannot hold still run, read-only.
  await expect(run({ action: 'query', connector_id: 'warehouse', query: 'SHOW transaction_read_only' })).resolves.toContain(
    "  1: ['on']",
  );
  await expect(run({ action: 'query', connector_id: 'warehouse', query: 'SELECT 1 AS one;' })).resolves.toContain('  1: [1]');
});

it('refuses INSERT, CREATE TABLE and other writes through query', async () => {
  const attempts: Array<[string, RegExp]> = [
    ["INSERT INTO conn_sales (region) VALUES ('x')", /cannot execute INSERT in a read-only transaction/],
    ['CREATE TABLE conn_created (a int)', /cannot execute CREATE TABLE in a read-only transaction/],
    ["UPDATE conn_sales SET region = 'changed'", /cannot execute UPDATE in a read-only transaction/],
    ['DROP TABLE conn_sales', /cannot execute DROP TABLE in a read-only transaction/],
    ['SELECT 1; COMMIT; DELETE FROM conn_sales', /cannot insert multiple commands into a prepared statement/],
    ["WITH gone AS (DELETE FROM conn_sales RETURNING *) SELECT count(*) FROM gone", /read-only|DECLARE CURSOR/],
  ];
  for (const [query, reason] of attempts) {
    const text = await run({ action: 'query', connector_id: 'warehouse', query });
    expect(text).toMatch(/^Connector action failed: PostgreSQL query failed: /);
    expect(text).toMatch(reason);
  }
  expect(await tables()).toEqual(['conn_odd "name"', 'conn_sales']);
  expect(await regions()).toBe('eu,us,apac');
});

it('samples with the table name quoted', async () => {
  const sample = await hub.sample('warehouse', 'conn_odd "name"', 3, null);
  expect(sample.query).toBe('SELECT * FROM "conn_odd ""name""" LIMIT 3');
  expect(sample.columns).toEqual(['x']);
  const attack = await run({ action: 'sample', connector_id: 'warehouse', table: 'conn_sales; DROP TABLE conn_sales; --' });
  expect(attack).toMatch(/^Connector action failed: PostgreSQL query failed: relation "conn_sales; DROP TABLE conn_sales; --" does not exist/);
  expect(await tables()).toEqual(['conn_odd "name"', 'conn_sales']);
});

it('writes and commits', async () => {
  await expect(
    run({ action: 'write', connector_id: 'warehouse', query: "UPDATE conn_sales SET region = upper(region) WHERE amount > 5" }),
  ).resolves.toBe("Connector 'warehouse' write executed successfully. Affected rows: 2.");
  expect(await regions()).toBe('EU,us,APAC');
  await expect(run({ action: 'write', connector_id: 'warehouse', query: 'CREATE TABLE conn_notes (body text)' })).resolves.toBe(
    "Connector 'warehouse' write executed successfully. Affected rows: 0.",
  );
  expect(await tables()).toContain('conn_notes');
  await expect(run({ action: 'write', connector_id: 'warehouse', query: 'INSERT INTO conn_missing VALUES (1)' })).resolves.toBe(
    'Connector action failed: PostgreSQL write failed: relation "conn_missing" does not exist',
  );
});

it('stops statements at the connector timeout', async () => {
  const slow = createConnectorHub({
    mode: 'local',
    apiBaseUrl: null,
    apiToken: null,
    apiPathPrefix: '/v1',
    timeoutSeconds: 0.2,
    localSqliteMap: {},
    postgresMap: { slow: database.url },
  });
  try {
    const text = await runConnectorTool({ action: 'query', connector_id: 'slow', query: 'SELECT pg_sleep(5)' }, slow, null);
    expect(text).toBe('Connector action failed: PostgreSQL query failed: canceling statement due to statement timeout');
  } finally {
    await slow?.close();
  }
});

it('still serves the SQLite connector of the same hub', async () => {
  await expect(run({ action: 'query', connector_id: 'localdb', query: 'SELECT * FROM sales' })).resolves.toContain('  1: [1, 10.5]');
});
