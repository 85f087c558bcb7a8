// The HTTP connector bridge client (reference §11, "HTTP bridge client"): a remote service owns the
// connectors; this client sends it the caller's identity with every request.
//
// Deliberate difference: the connector id is percent-encoded as one path segment (the reference
// inserts it raw), so an id such as `../admin` cannot leave the `/connectors/` path. Ids made of
// letters, digits, `-`, `_`, `.` and `~` are sent unchanged.

import { pyInt, pyStr, pyTruthy } from '../../../python/strings.js';
import type { AuthContext, ConnectorHub, ConnectorInfo, QueryResult } from './types.js';
import { ConnectorError } from './types.js';

export interface HttpBridgeOptions {
  baseUrl: string;
  token: string | null;
  /** Default `/v1`; trailing slashes are dropped. */
  pathPrefix: string;
  /** Per request, covering the connection and the body; 0 means no timeout. */
  timeoutSeconds: number;
}

type Payload = Record<string, unknown>;

function isObject(value: unknown): value is Payload {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body's `auth_context`: null without a context. */
function authBody(auth: AuthContext | null | undefined): Payload | null {
  if (!auth) return null;
  return { user_id: auth.user_id, org_id: auth.org_id, roles: auth.roles ?? [], attributes: auth.attributes ?? {} };
}

/** Why a request never got an answer, as the reference words it (`urllib`'s reason). */
// Duck-typed, not `instanceof`: the timeout's DOMException may come from another realm.
function unreachableReason(error: unknown): string {
  const failure = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown; code?: unknown } };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') return 'timed out';
  const cause = failure.cause;
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  if (cause && typeof cause.code === 'string') return cause.code;
  return typeof failure.message === 'string' ? failure.message : String(error);
}

/** A top-level JSON number that is integral is read as a Python int (bigint); see types.ts. */
function cell(value: unknown): unknown {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e21 ? BigInt(value) : value;
}

function toInt(value: unknown, fallback: number): number {
  const parsed = pyInt(value);
  return parsed === null ? fallback : Number(parsed);
}

/** `columns`/`rows` of a query or sample answer (reference: "Parsing results"). */
function parseQueryPayload(payload: Payload): QueryResult {
  const rawColumns = payload.columns ?? [];
  const rawRows = payload.rows ?? [];
  if (!Array.isArray(rawColumns) || !Array.isArray(rawRows)) {
    throw new ConnectorError('Connector service returned invalid query payload.');
  }
  const columns = rawColumns.map((column: unknown) => pyStr(column));
  const rows = rawRows.map((row: unknown): unknown[] => {
    if (Array.isArray(row)) return row.map(cell);
    if (isObject(row)) return columns.map((column) => cell(Object.hasOwn(row, column) ? row[column] : null));
    return [cell(row)];
  });
  return {
    columns,
    rows,
    rowCount: payload.row_count === undefined ? rows.length : toInt(payload.row_count, rows.length),
    truncated: pyTruthy(payload.truncated ?? false),
  };
}

export class HttpBridgeHub implements ConnectorHub {
  private readonly root: string;

  constructor(private readonly options: HttpBridgeOptions) {
    const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    const prefix = options.pathPrefix.replace(/^\/+|\/+$/g, '');
    this.root = `${base}${prefix ? `${prefix}/` : ''}connectors`;
  }

  /** The URL of `path` under `<prefix>/connectors` (exposed for tests and logs). */
  url(path = ''): string {
    return `${this.root}${path}`;
  }

  private connectorUrl(connectorId: string, action: string): string {
    return this.url(`/${encodeURIComponent(connectorId)}/${action}`);
  }

  private async request(method: 'GET' | 'POST', url: string, auth: AuthContext | null | undefined, body?: Payload): Promise<Payload> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (auth?.user_id) headers['X-Anton-User-Id'] = auth.user_id;
    if (auth?.org_id) headers['X-Anton-Org-Id'] = auth.org_id;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const timeoutMs = this.options.timeoutSeconds * 1000;
    const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;

    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new ConnectorError(`Connector service unreachable: ${unreachableReason(error)}`, { cause: error });
    }
    if (status >= 400) throw new ConnectorError(`Connector service HTTP ${status}: ${text}`);
    if (text.trim() === '') return {};
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new ConnectorError('Connector service returned non-JSON response.');
    }
    if (!isObject(payload)) throw new ConnectorError('Connector service returned invalid JSON payload type.');
    return payload;
  }

  async list(auth?: AuthContext | null): Promise<ConnectorInfo[]> {
    const payload = await this.request('GET', this.url(), auth);
    const items = payload.connectors ?? [];
    if (!Array.isArray(items)) throw new ConnectorError('Connector service returned invalid connector list payload.');
    const connectors: ConnectorInfo[] = [];
    for (const item of items as unknown[]) {
      if (!isObject(item) || !pyTruthy(item.id)) continue;
      connectors.push({
        id: pyStr(item.id),
        type: pyTruthy(item.type) ? pyStr(item.type) : 'unknown',
        description: pyTruthy(item.description) ? pyStr(item.description) : '',
      });
    }
    return connectors;
  }

  async schema(connectorId: string, auth?: AuthContext | null): Promise<Record<string, string[]>> {
    const payload = await this.request('GET', this.connectorUrl(connectorId, 'schema'), auth);
    const tables = payload.tables ?? {};
    if (!isObject(tables)) throw new ConnectorError('Connector service returned invalid schema payload.');
    const schema: Record<string, string[]> = {};
    for (const [table, columns] of Object.entries(tables)) {
      if (Array.isArray(columns)) schema[table] = columns.map((column: unknown) => pyStr(column));
    }
    return schema;
  }

  async query(connectorId: string, sql: string, limit: number, auth: AuthContext | null): Promise<QueryResult> {
    const body = { query: sql, limit: Math.max(1, limit), mode: 'read', auth_context: authBody(auth) };
    return parseQueryPayload(await this.request('POST', this.connectorUrl(connectorId, 'query'), auth, body));
  }

  async sample(connectorId: string, table: string, limit: number, auth: AuthContext | null): Promise<QueryResult & { query: string }> {
    const n = Math.max(1, limit);
    const payload = await this.request('POST', this.connectorUrl(connectorId, 'sample'), auth, {
      table,
      limit: n,
      auth_context: authBody(auth),
    });
    const query = pyTruthy(payload.query) ? pyStr(payload.query) : `SELECT * FROM ${table} LIMIT ${n}`;
    return { ...parseQueryPayload(payload), query };
  }

  async write(connectorId: string, sql: string, auth: AuthContext | null): Promise<{ affectedRows: number }> {
    const body = { query: sql, mode: 'write', auth_context: authBody(auth) };
    const payload = await this.request('POST', this.connectorUrl(connectorId, 'query'), auth, body);
    return { affectedRows: pyTruthy(payload.affected_rows) ? toInt(payload.affected_rows, 0) : 0 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
