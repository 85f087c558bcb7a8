// A hub over connectors this process reaches itself (SQLite files, PostgreSQL databases), one
// backend object per connector id.

import { compareCodePoints } from '../../../python/strings.js';
import type { ConnectorHub, ConnectorInfo, QueryResult } from './types.js';
import { ConnectorError } from './types.js';

/** One locally reached connector. */
export interface LocalConnector {
  readonly info: ConnectorInfo;
  schema(): Promise<Record<string, string[]>>;
  query(sql: string, limit: number): Promise<QueryResult>;
  sample(table: string, limit: number): Promise<QueryResult & { query: string }>;
  write(sql: string): Promise<{ affectedRows: number }>;
  close(): Promise<void>;
}

/** SQL text that names `name` as one identifier, so that no table name can carry SQL: `"a""b"`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Rows fetched up to `limit + 1`: one more than `limit` means truncated, reported as row_count limit + 1. */
export function truncatedResult(columns: string[], fetched: unknown[][], limit: number): QueryResult {
  const truncated = fetched.length > limit;
  return {
    columns,
    rows: truncated ? fetched.slice(0, limit) : fetched,
    rowCount: truncated ? limit + 1 : fetched.length,
    truncated,
  };
}

export class LocalConnectorHub implements ConnectorHub {
  private readonly connectors: Map<string, LocalConnector>;

  constructor(connectors: readonly LocalConnector[]) {
    this.connectors = new Map(connectors.map((connector) => [connector.info.id, connector]));
  }

  // Every method is async, so that an unknown id rejects rather than throws.
  private get(connectorId: string): LocalConnector {
    const connector = this.connectors.get(connectorId);
    if (connector === undefined) throw new ConnectorError(`Unknown connector_id '${connectorId}'.`);
    return connector;
  }

  async list(): Promise<ConnectorInfo[]> {
    const infos = [...this.connectors.values()].map((connector) => ({ ...connector.info }));
    return infos.sort((a, b) => compareCodePoints(a.id, b.id));
  }

  async schema(connectorId: string): Promise<Record<string, string[]>> {
    return await this.get(connectorId).schema();
  }

  async query(connectorId: string, sql: string, limit: number): Promise<QueryResult> {
    return await this.get(connectorId).query(sql, Math.max(1, limit));
  }

  async sample(connectorId: string, table: string, limit: number): Promise<QueryResult & { query: string }> {
    return await this.get(connectorId).sample(table, Math.max(1, limit));
  }

  async write(connectorId: string, sql: string): Promise<{ affectedRows: number }> {
    return await this.get(connectorId).write(sql);
  }

  async close(): Promise<void> {
    await Promise.all([...this.connectors.values()].map((connector) => connector.close()));
  }
}
