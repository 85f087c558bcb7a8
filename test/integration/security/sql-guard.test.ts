// SQL-guard bypass attempts against the connector: the governance policy's blocked fragments
// (drop/truncate/alter table) seen through case, whitespace and comments, and the connectors'
// own defences (read-only query, quoted `sample` table names) on real SQLite and PostgreSQL.
//
// Already proven elsewhere, not repeated here:
// - test/unit/governance/policy.test.ts: `drop  table`, `drop\ntable`, `drop/**/table`,
//   `truncate -- comment\n table`, a `--` inside quotes, fixed report order.
// - test/integration/connector/sqlite.test.ts and postgres.test.ts: DML/DDL through `query`
//   never persists; `sample` with `sales; DROP TABLE …; --` (both) and `sales" ; DROP …` (SQLite).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { blockedSqlFragment, evaluateToolCall } from '../../../src/agent/governance/policy.js';
import { runConnectorTool } from '../../../src/agent/tools/connector/tool.js';
import type { ConnectorHub } from '../../../src/agent/tools/connector/types.js';
import { localConnectorHub } from '../../kit/connectors.js';
import { createTestDatabase, withClient, type TestDatabase } from '../../kit/db.js';

const settings = { maxEstimatedSecondsWithoutApproval: 90, connectorMaxQueryLimit: 10_000, connectorRequireWhereOrLimit: true };

/** Obfuscations of `drop table victim` that PostgreSQL or SQLite would still run as a DROP. */
const DISGUISED_DROPS = [
  'DROP TABLE victim',
  'DrOp TaBlE victim',
  'drop    table victim',
  'drop\ttable victim',
  'drop\r\n\ttable victim',
  'drop\u000btable victim',
  'drop\u000ctable victim',
  'drop/**/table victim',
  'DROP/**/TABLE/**/victim',
  'drop/* comment */table victim',
  'drop/*\n multi\n line */table victim',
  'drop -- trailing\ntable victim',
  'drop--\ntable victim',
  'drop/* /* nested */ */table victim',
  'drop/*/**/*/table victim',
  'drop/* a /* b /* c */ */ */ table victim',
  '   DROP TABLE victim   ',
  'select 1 where 1 = 1; drop table victim',
  'select 1 limit 1;DROP/**/TABLE victim',
  'with x as (select 1) select * from x where true; drop table victim --',
];

describe('the policy refuses disguised DROP/TRUNCATE/ALTER TABLE on every connector action', () => {
  test.each(DISGUISED_DROPS)('%j', (query) => {
    for (const action of ['query', 'write', 'sample', 'schema', 'list']) {
      expect({ action, query, verdict: evaluateToolCall('connector', { action, query, connector_id: 'db' }, settings) }).toEqual({
        action,
        query,
        verdict: { decision: 'deny', reason: 'Query contains blocked SQL fragment: drop table' },
      });
    }
  });

  test('truncate and alter are seen through the same disguises', () => {
    for (const template of DISGUISED_DROPS) {
      for (const [verb, fragment] of [['truncate', 'truncate table'], ['alter', 'alter table']] as const) {
        const query = template.replace(/drop/i, verb);
        expect({ query, fragment: blockedSqlFragment(query.trim().toLowerCase()) }).toEqual({ query, fragment });
      }
    }
  });

  test('a query field of another type is read as Python would read it, and still refused', () => {
    // The model controls the JSON: a list or an object with the SQL inside must not slip past.
    expect(evaluateToolCall('connector', { action: 'write', query: ['DROP TABLE victim'] }, settings)).toMatchObject({ decision: 'deny' });
    expect(evaluateToolCall('connector', { action: 'query', query: { sql: 'drop/**/table victim' } }, settings)).toMatchObject({ decision: 'deny' });
  });
});

// ---------------------------------------------------------------------------------------------
// The connectors themselves: what gets through the policy (or is run by a reviewer-approved
// write) is still neutralised where the action promises it.
// ---------------------------------------------------------------------------------------------

/** Table names crafted to break out of the identifier `sample` builds its SELECT from. */
const CRAFTED_TABLES = [
  'x"; DROP TABLE victim; --',
  'x" ; DROP TABLE victim; --',
  'victim"; DROP TABLE victim; --',
  'victim" WHERE 1=1; DELETE FROM victim; --',
  '"; DROP TABLE victim; --',
  'x""; DROP TABLE victim; --',
  'x\\"; DROP TABLE victim; --',
  'x`; DROP TABLE victim; --',
  "x'; DROP TABLE victim; --",
  'x]; DROP TABLE victim; --',
  'x"/**/;DROP/**/TABLE/**/victim;--',
  'victim" UNION SELECT sql, 1 FROM sqlite_master --',
];

let dir: string;
let database: TestDatabase;
let hub: ConnectorHub;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'anton-sqlguard-'));
  const sqlite = new Database(path.join(dir, 'local.db'));
  sqlite.exec("CREATE TABLE victim (id INTEGER, secret TEXT); INSERT INTO victim VALUES (1, 'kept'), (2, 'kept');");
  sqlite.close();
  database = await createTestDatabase();
  await withClient(database.url, (client) => client.query("CREATE TABLE victim (id int, secret text); INSERT INTO victim VALUES (1, 'kept'), (2, 'kept');"));
  hub = localConnectorHub(dir, { lite: 'local.db' }, { pg: database.url });
});

afterAll(async () => {
  await hub?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function victimRows(connector: 'lite' | 'pg'): Promise<number> {
  if (connector === 'lite') {
    const db = new Database(path.join(dir, 'local.db'), { readonly: true });
    try {
      return db.prepare<[], number>('SELECT count(*) FROM victim').pluck().get() ?? -1;
    } finally {
      db.close();
    }
  }
  return withClient(database.url, async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM victim')).rows[0]!.n));
}

describe.each([['lite'], ['pg']] as const)('connector %s', (connector) => {
  test('sample quotes every crafted table name: nothing runs but one SELECT of a missing table', async () => {
    for (const table of CRAFTED_TABLES) {
      const sample = await hub.sample(connector, table, 5, null).catch((error: unknown) => error as Error);
      // Either the quoted name is simply an unknown table, or (for the UNION attempt) still one identifier.
      expect(sample).toBeInstanceOf(Error);
      expect((sample as Error).message).toMatch(/no such table|does not exist/);
      const text = await runConnectorTool({ action: 'sample', connector_id: connector, table }, hub, null);
      expect(text).toMatch(/^Connector action failed: (SQLite|PostgreSQL) query failed: /);
    }
    expect(await victimRows(connector)).toBe(2);
  });

  test('query refuses disguised DROPs and stacked statements even when a policy let them through', async () => {
    for (const query of [...DISGUISED_DROPS, 'select 1; delete from victim', "select 1; update victim set secret = 'gone'", 'select 1;/**/delete from victim']) {
      const text = await runConnectorTool({ action: 'query', connector_id: connector, query }, hub, null);
      expect({ query, text }).toEqual({ query, text: expect.stringMatching(/^Connector action failed: (SQLite|PostgreSQL) query failed: /) });
    }
    expect(await victimRows(connector)).toBe(2);
  });
});
