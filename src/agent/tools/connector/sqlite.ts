// A local SQLite file as a connector (reference §11, "Local SQLite client"), with decisions.md
// item 18: `query`, `schema` and `sample` open the file read-only and refuse statements that would
// write, so neither DML nor DDL persists through them; `sample` quotes its table name.
// A connection is opened per call and closed at its end: nothing is held between calls.

import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { LocalConnector } from './local.js';
import { quoteIdentifier, truncatedResult } from './local.js';
import type { ConnectorInfo, QueryResult } from './types.js';
import { ConnectorError } from './types.js';
import { errorMessage } from '../../../errors.js';

export const READ_ONLY_REFUSAL =
  'the query action runs read-only statements only; use the write action to change data or schema.';

function message(error: unknown): string {
  return errorMessage(error);
}

export class SqliteConnector implements LocalConnector {
  readonly info: ConnectorInfo;
  /** Absolute path of the file. */
  readonly file: string;

  /** `configuredPath` as the map gives it; a relative path resolves against `baseDir`. */
  constructor(id: string, configuredPath: string, baseDir: string) {
    this.info = { id, type: 'sqlite', description: configuredPath };
    this.file = path.resolve(baseDir, configuredPath);
  }

  private open(readonly: boolean): Database.Database {
    if (!existsSync(this.file)) {
      throw new ConnectorError(`SQLite database for connector '${this.info.id}' not found: ${this.file}`);
    }
    return new Database(this.file, { readonly, fileMustExist: true });
  }

  private withDatabase<T>(readonly: boolean, use: (db: Database.Database) => T): T {
    const db = this.open(readonly);
    try {
      return use(db);
    } finally {
      db.close();
    }
  }

  async schema(): Promise<Record<string, string[]>> {
    return this.withDatabase(true, (db) => {
      const names = db
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all();
      const tables: Record<string, string[]> = {};
      for (const name of names) {
        const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${quoteIdentifier(name)})`).all();
        tables[name] = columns.map((column) => column.name);
      }
      return tables;
    });
  }

  async query(sql: string, limit: number): Promise<QueryResult> {
    return this.withDatabase(true, (db) => {
      try {
        const statement = db.prepare(sql);
        // The connection is read-only already; refusing here gives the model a clearer reason.
        if (!statement.readonly) throw new ConnectorError(READ_ONLY_REFUSAL);
        if (!statement.reader) {
          statement.run(); // e.g. BEGIN or a harmless PRAGMA: no rows
          return truncatedResult([], [], limit);
        }
        statement.raw(true).safeIntegers(true);
        const columns = statement.columns().map((column) => column.name);
        const fetched: unknown[][] = [];
        for (const row of statement.iterate() as IterableIterator<unknown[]>) {
          fetched.push(row);
          if (fetched.length > limit) break; // leaving the loop finalises the iteration
        }
        return truncatedResult(columns, fetched, limit);
      } catch (error) {
        throw new ConnectorError(`SQLite query failed: ${message(error)}`, { cause: error });
      }
    });
  }

  async sample(table: string, limit: number): Promise<QueryResult & { query: string }> {
    const query = `SELECT * FROM ${quoteIdentifier(table)} LIMIT ${Math.max(1, limit)}`;
    return { ...(await this.query(query, limit)), query };
  }

  async write(sql: string): Promise<{ affectedRows: number }> {
    return this.withDatabase(false, (db) => {
      try {
        const statement = db.prepare(sql);
        // A transaction: committed when the statement succeeds, rolled back when it throws.
        const changes = db.transaction(() => {
          if (!statement.reader) return statement.run().changes;
          statement.all(); // e.g. INSERT … RETURNING: run to the end, then count
          return db.prepare<[], number>('SELECT changes()').pluck().get() ?? 0;
        })();
        return { affectedRows: Math.max(0, changes) };
      } catch (error) {
        throw new ConnectorError(`SQLite write failed: ${message(error)}`, { cause: error });
      }
    });
  }

  async close(): Promise<void> {}
}
