// A PostgreSQL database as a connector (not in the reference; see hub.ts for when it is offered).
// - `query` and `sample` run inside `BEGIN READ ONLY … ROLLBACK`, so neither DML nor DDL persists
//   (in the spirit of decisions.md item 18). Statements go through the extended protocol, which
//   takes exactly one statement: `SELECT 1; COMMIT; DROP …` cannot end the read-only transaction.
//   Rows come from a cursor, so only limit + 1 rows are fetched; statements a cursor cannot hold
//   (EXPLAIN, SHOW, an INSERT that the read-only transaction will refuse anyway) run plainly.
// - `schema` lists the base tables of the `public` schema with their columns in ordinal order.
// - `write` runs in an ordinary transaction, committed when the statement succeeds.
// - Every call gets `statement_timeout` (the connector timeout; 0 means none). One small pool per
//   connector id, created on first use and ended by `close()`.
// Cells: integer types arrive as bigint, float4/float8 as number, numeric as SqlDecimal, dates and
// times as their PostgreSQL text; everything else as `pg` parses it (types.ts, format.ts).

import pg from 'pg';
import type { LocalConnector } from './local.js';
import { quoteIdentifier, truncatedResult } from './local.js';
import type { ConnectorInfo, QueryResult } from './types.js';
import { ConnectorError, SqlDecimal } from './types.js';
import { errorMessage } from '../../../errors.js';

const INTEGER_TYPES = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOAT_TYPES = new Set([700, 701]); // float4, float8
const NUMERIC_TYPE = 1700;
const TEXT_KEPT_TYPES = new Set([1082, 1083, 1114, 1184, 1186, 1266]); // date, time, timestamp(tz), interval, timetz

type TextParser = (text: string) => unknown;

function textParser(oid: number): TextParser | null {
  if (INTEGER_TYPES.has(oid)) return (text) => BigInt(text);
  if (FLOAT_TYPES.has(oid)) return (text) => Number(text); // also 'NaN', 'Infinity', '-Infinity'
  if (oid === NUMERIC_TYPE) return (text) => new SqlDecimal(text);
  if (TEXT_KEPT_TYPES.has(oid)) return (text) => text;
  return null;
}

// pg's declared type for getTypeParser is an overloaded generic; this one has the same runtime shape.
const cellTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' ? (textParser(oid) ?? pg.types.getTypeParser(oid, 'text')) : pg.types.getTypeParser(oid, 'binary')) as
    typeof pg.types.getTypeParser,
};

/** `queryMode: 'extended'` (pg ≥ 8.11, missing from @types/pg): one statement per call, always. */
function single(text: string, values: unknown[] = []): pg.QueryArrayConfig {
  return { text, values, rowMode: 'array', queryMode: 'extended' } as pg.QueryArrayConfig;
}

function message(error: unknown): string {
  return errorMessage(error);
}

const SYNTAX_ERROR = '42601';
const CURSOR = 'anton_connector_rows';

/**
 * The connection URL without its password, for `list`; a text that is not a URL (a conninfo
 * string such as `host=… password=…`) is not shown at all.
 */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return 'PostgreSQL database';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'PostgreSQL database';
  }
}

export class PostgresConnector implements LocalConnector {
  readonly info: ConnectorInfo;
  private pool: pg.Pool | null = null;
  private closed = false;

  constructor(
    id: string,
    private readonly url: string,
    private readonly timeoutSeconds: number,
  ) {
    this.info = { id, type: 'postgresql', description: describePostgresUrl(url) };
  }

  private get timeoutMs(): number {
    return Math.max(0, Math.round(this.timeoutSeconds * 1000));
  }

  private getPool(): pg.Pool {
    if (this.closed) throw new ConnectorError(`Connector '${this.info.id}' is closed.`);
    if (this.pool === null) {
      this.pool = new pg.Pool({
        connectionString: this.url,
        max: 2,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: this.timeoutMs,
        allowExitOnIdle: true,
        types: cellTypes,
      });
      // An idle client's connection can drop (server restart, database dropped); without a listener
      // the pool's 'error' event would end the process. The next call simply gets a new client.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /** Runs `use` in a transaction opened with `begin`, ended by ROLLBACK unless `commit`. */
  private async transaction<T>(begin: string, commit: boolean, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.getPool().connect();
    let broken = false;
    try {
      await client.query(begin);
      await client.query(single("SELECT set_config('statement_timeout', $1, true)", [String(this.timeoutMs)]));
      const result = await use(client);
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: do not hand it back to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async schema(): Promise<Record<string, string[]>> {
    const result = await this.transaction('BEGIN READ ONLY', false, (client) =>
      client.query<[string, string | null]>(
        single(
          `SELECT t.table_name::text, c.column_name::text
             FROM information_schema.tables t
             LEFT JOIN information_schema.columns c
               ON c.table_schema = t.table_schema AND c.table_name = t.table_name
            WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
            ORDER BY t.table_name, c.ordinal_position`,
        ),
      ),
    );
    const tables: Record<string, string[]> = {};
    for (const [table, column] of result.rows) {
      const columns = (tables[table] ??= []);
      if (column !== null) columns.push(column);
    }
    return tables;
  }

  async query(sql: string, limit: number): Promise<QueryResult> {
    try {
      return await this.transaction('BEGIN READ ONLY', false, async (client) => {
        await client.query('SAVEPOINT anton_cursor');
        try {
          await client.query(single(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${sql}`));
        } catch (error) {
          if ((error as { code?: unknown }).code !== SYNTAX_ERROR) throw error;
          // Not a statement a cursor can hold (or a real syntax error, which the plain run reports
          // with positions that match the model's text).
          await client.query('ROLLBACK TO SAVEPOINT anton_cursor');
          const plain = await client.query<unknown[]>(single(sql));
          return truncatedResult(columnsOf(plain), (plain.rows ?? []).slice(0, limit + 1), limit);
        }
        const fetched = await client.query<unknown[]>(single(`FETCH FORWARD ${limit + 1} FROM ${CURSOR}`));
        return truncatedResult(columnsOf(fetched), fetched.rows, limit);
      });
    } catch (error) {
      throw new ConnectorError(`PostgreSQL query failed: ${message(error)}`, { cause: error });
    }
  }

  async sample(table: string, limit: number): Promise<QueryResult & { query: string }> {
    const query = `SELECT * FROM ${quoteIdentifier(table)} LIMIT ${Math.max(1, limit)}`;
    return { ...(await this.query(query, limit)), query };
  }

  async write(sql: string): Promise<{ affectedRows: number }> {
    try {
      const result = await this.transaction('BEGIN', true, (client) => client.query(single(sql)));
      return { affectedRows: Math.max(0, result.rowCount ?? 0) };
    } catch (error) {
      throw new ConnectorError(`PostgreSQL write failed: ${message(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.end();
  }
}

function columnsOf(result: pg.QueryArrayResult): string[] {
  return (result.fields ?? []).map((field) => field.name);
}
