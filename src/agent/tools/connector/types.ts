// What the connector tool needs from a data-connector backend (reference-behaviour.md §11), and the
// caller's identity that travels with each call.
//
// Row cells follow one convention so that the tool can print them as Python would (format.ts):
// - `bigint` is a Python int and `number` a Python float (`3` prints `3.0`), at the top level of
//   a row. Every hub here hands integers over as bigint: SQLite through `safeIntegers`,
//   PostgreSQL through its type parsers, the HTTP bridge by reading integral JSON numbers as ints
//   (JSON cannot tell `3` from `3.0`; Python's json module would have read `3` as an int).
// - Inside a nested array or object (a JSON column, a nested bridge value) numbers follow JSON's
//   rule instead: integral values print as ints (`pyNumberStr`).
// - `string`, `boolean`, `null`, `Buffer` (bytes), `SqlDecimal` (PostgreSQL numeric) as themselves.
// A hub written elsewhere (a test fake, say) should hand over integers as bigint too.

import { pyStr } from '../../../python/strings.js';
import { fieldsOf } from '../../governance/toolInput.js';
import { isPlainObject } from '../../../json.js';

/** One connector as `list` reports it. */
export interface ConnectorInfo {
  id: string;
  type: string;
  /** Empty when there is none. */
  description: string;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** What the backend reports: limit + 1 when truncated (not the true total), as the reference. */
  rowCount: number;
  truncated: boolean;
}

/** The identity a run acts for, taken from `session.metadata.auth_context`. */
export interface AuthContext {
  user_id: string;
  org_id: string;
  roles: string[];
  attributes: Record<string, unknown>;
}

/**
 * A connector backend. `auth` is passed to every call that may reach a remote service (the HTTP
 * bridge sends it as headers and in request bodies); local backends ignore it. `limit` is already
 * at least 1.
 */
export interface ConnectorHub {
  list(auth?: AuthContext | null): Promise<ConnectorInfo[]>;
  /** Table name → column names, in the backend's column order. */
  schema(connectorId: string, auth?: AuthContext | null): Promise<Record<string, string[]>>;
  query(connectorId: string, sql: string, limit: number, auth: AuthContext | null): Promise<QueryResult>;
  /** The first `limit` rows of a table; `query` is the SQL text that was (or would be) run. */
  sample(connectorId: string, table: string, limit: number, auth: AuthContext | null): Promise<QueryResult & { query: string }>;
  write(connectorId: string, sql: string, auth: AuthContext | null): Promise<{ affectedRows: number }>;
  /** Releases pools and connections; the hub must not be used afterwards. */
  close(): Promise<void>;
}

/** A failure the model should read: the tool answers `Connector action failed: <message>`. */
export class ConnectorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectorError';
  }
}

/** A PostgreSQL `numeric` value, kept as its exact text; prints as Python's `Decimal('<text>')`. */
export class SqlDecimal {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}


/**
 * The auth context of a session's metadata (`metadata.auth_context`), as reference §11 reads it.
 * A missing, empty or non-object value (an array is not an object) means no context. Otherwise
 * `user_id` and `org_id` are Python's `str()` of the value, "" when missing or null; `roles` keeps
 * the string elements of a list (else []); `attributes` is the object, or {} when it is not one.
 */
export function authContextFrom(metadata: unknown): AuthContext | null {
  const raw = fieldsOf(metadata).auth_context;
  if (!isPlainObject(raw) || Object.keys(raw).length === 0) return null;
  const text = (value: unknown): string => (value === undefined || value === null ? '' : pyStr(value));
  return {
    user_id: text(raw.user_id),
    org_id: text(raw.org_id),
    roles: Array.isArray(raw.roles) ? raw.roles.filter((role): role is string => typeof role === 'string') : [],
    attributes: isPlainObject(raw.attributes) ? { ...raw.attributes } : {},
  };
}
