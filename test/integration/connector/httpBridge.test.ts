// The HTTP connector bridge client against a real fake bridge on 127.0.0.1:0 (reference tests 27, 28).
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnectorHub } from '../../../src/agent/tools/connector/hub.js';
import { runConnectorTool } from '../../../src/agent/tools/connector/tool.js';
import type { AuthContext, ConnectorHub } from '../../../src/agent/tools/connector/types.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Reply {
  status?: number;
  body: string;
  /** Milliseconds to wait before answering. */
  delay?: number;
}

let server: Server;
let baseUrl: string;
let seen: Seen[];
let reply: (request: Seen) => Reply;
/** Answers not sent yet (a delayed one outlives the client that timed out). */
const pending = new Set<NodeJS.Timeout>();

const json = (value: unknown, status = 200): Reply => ({ status, body: JSON.stringify(value) });

const auth: AuthContext = { user_id: 'user-7', org_id: 'org-3', roles: ['analyst', 'admin'], attributes: { region: 'eu', level: 2 } };

function hubFor(overrides: { apiToken?: string | null; timeoutSeconds?: number; apiBaseUrl?: string } = {}): ConnectorHub {
  const hub = createConnectorHub({
    mode: 'http',
    apiBaseUrl: overrides.apiBaseUrl ?? `${baseUrl}/bridge`,
    apiToken: overrides.apiToken === undefined ? 'token-123' : overrides.apiToken,
    apiPathPrefix: '/v1/',
    timeoutSeconds: overrides.timeoutSeconds ?? 5,
    localSqliteMap: {},
    postgresMap: {},
  });
  if (hub === null) throw new Error('expected a hub');
  return hub;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : null };
      seen.push(request);
      const answer = reply(request);
      const timer = setTimeout(() => {
        pending.delete(timer);
        res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' });
        res.end(answer.body);
      }, answer.delay ?? 0);
      pending.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const timer of pending) clearTimeout(timer);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  reply = () => json({});
});

it('sends the bearer token and the user and org ids (reference test 27)', async () => {
  reply = () => json({ connectors: [{ id: 'warehouse', type: 'postgres', description: 'Main DWH' }, { id: 'crm' }, 'junk'] });
  const hub = hubFor();
  await expect(hub.list(auth)).resolves.toEqual([
    { id: 'warehouse', type: 'postgres', description: 'Main DWH' },
    { id: 'crm', type: 'unknown', description: '' },
  ]);
  const [request] = seen;
  expect(request?.method).toBe('GET');
  expect(request?.url).toBe('/bridge/v1/connectors');
  expect(request?.headers.authorization).toBe('Bearer token-123');
  expect(request?.headers['x-anton-user-id']).toBe('user-7');
  expect(request?.headers['x-anton-org-id']).toBe('org-3');
  expect(request?.headers.accept).toBe('application/json');
  expect(request?.headers['content-type']).toBeUndefined();

  await expect(runConnectorTool({ action: 'list' }, hub, auth)).resolves.toBe(
    'Available connectors:\n- warehouse (postgres) - Main DWH\n- crm (unknown)',
  );
});

it('leaves out the token and identity headers it does not have', async () => {
  reply = () => json({ connectors: [] });
  const hub = hubFor({ apiToken: null });
  await expect(runConnectorTool({ action: 'list' }, hub, { ...auth, user_id: '', org_id: '' })).resolves.toBe('No connectors available.');
  await hub.list(null);
  for (const request of seen) {
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['x-anton-user-id']).toBeUndefined();
    expect(request.headers['x-anton-org-id']).toBeUndefined();
  }
});

it('posts queries with the auth context in the body (reference test 28)', async () => {
  reply = () =>
    json({ columns: ['region', 'amount'], rows: [['eu', 10.5], { amount: 3, region: 'us' }, 'lonely'], row_count: 3, truncated: false });
  const hub = hubFor();
  const text = await runConnectorTool({ action: 'query', connector_id: 'warehouse', query: 'SELECT region, amount FROM sales', limit: 50 }, hub, auth);
  expect(text).toBe(
    [
      "Connector 'warehouse' query completed.",
      'Rows returned: 3 (row_count=3, truncated=False).',
      'Columns: region, amount',
      'Preview:',
      "  1: ['eu', 10.5]",
      "  2: ['us', 3]",
      "  3: ['lonely']",
    ].join('\n'),
  );
  const [request] = seen;
  expect(request?.method).toBe('POST');
  expect(request?.url).toBe('/bridge/v1/connectors/warehouse/query');
  expect(request?.headers['content-type']).toBe('application/json');
  expect(request?.headers.authorization).toBe('Bearer token-123');
  expect(request?.body).toEqual({
    query: 'SELECT region, amount FROM sales',
    limit: 50,
    mode: 'read',
    auth_context: { user_id: 'user-7', org_id: 'org-3', roles: ['analyst', 'admin'], attributes: { region: 'eu', level: 2 } },
  });
});

it('sends a null auth context when there is none, and defaults row_count and truncated', async () => {
  reply = () => json({ columns: ['n'], rows: [[1], [2]] });
  const result = await hubFor().query('warehouse', 'SELECT n FROM t', 0, null);
  expect(result).toEqual({ columns: ['n'], rows: [[1n], [2n]], rowCount: 2, truncated: false });
  expect(seen[0]?.body).toEqual({ query: 'SELECT n FROM t', limit: 1, mode: 'read', auth_context: null });
});

it('reads the schema, dropping tables whose columns are not a list', async () => {
  reply = () => json({ tables: { sales: ['id', 'amount'], broken: 'x', empty: [] } });
  const hub = hubFor();
  await expect(runConnectorTool({ action: 'schema', connector_id: 'warehouse' }, hub, auth)).resolves.toBe(
    "Schema for connector 'warehouse':\n- empty: (no columns)\n- sales: id, amount",
  );
  expect(seen[0]?.url).toBe('/bridge/v1/connectors/warehouse/schema');
  expect(seen[0]?.method).toBe('GET');
});

it('samples and writes through their endpoints', async () => {
  reply = (request) =>
    request.url.endsWith('/sample')
      ? json({ columns: ['id'], rows: [[1]], row_count: 1, truncated: true })
      : json({ affected_rows: '4' });
  const hub = hubFor();
  const sample = await hub.sample('warehouse', 'sales', 5, auth);
  expect(sample.query).toBe('SELECT * FROM sales LIMIT 5');
  expect(sample.truncated).toBe(true);
  expect(seen[0]?.url).toBe('/bridge/v1/connectors/warehouse/sample');
  expect(seen[0]?.body).toEqual({ table: 'sales', limit: 5, auth_context: expect.objectContaining({ user_id: 'user-7' }) });

  await expect(runConnectorTool({ action: 'write', connector_id: 'warehouse', query: 'DELETE FROM t' }, hub, auth)).resolves.toBe(
    "Connector 'warehouse' write executed successfully. Affected rows: 4.",
  );
  expect(seen[1]?.url).toBe('/bridge/v1/connectors/warehouse/query');
  expect(seen[1]?.body).toEqual({ query: 'DELETE FROM t', mode: 'write', auth_context: expect.objectContaining({ org_id: 'org-3' }) });
});

it('encodes the connector id as one path segment', async () => {
  await hubFor().schema('../admin x', auth);
  expect(seen[0]?.url).toBe('/bridge/v1/connectors/..%2Fadmin%20x/schema');
});

it('reports HTTP errors, bad payloads and an unreachable service', async () => {
  const hub = hubFor();
  const query = { action: 'query', connector_id: 'warehouse', query: 'SELECT 1' };

  reply = () => ({ status: 500, body: 'database exploded' });
  await expect(runConnectorTool(query, hub, auth)).resolves.toBe('Connector action failed: Connector service HTTP 500: database exploded');

  reply = () => ({ body: 'not json at all' });
  await expect(runConnectorTool(query, hub, auth)).resolves.toBe('Connector action failed: Connector service returned non-JSON response.');

  reply = () => json([1, 2]);
  await expect(runConnectorTool(query, hub, auth)).resolves.toBe('Connector action failed: Connector service returned invalid JSON payload type.');

  reply = () => json({ columns: 'id', rows: [] });
  await expect(runConnectorTool(query, hub, auth)).resolves.toBe('Connector action failed: Connector service returned invalid query payload.');

  reply = () => json({ connectors: {} });
  await expect(runConnectorTool({ action: 'list' }, hub, auth)).resolves.toBe(
    'Connector action failed: Connector service returned invalid connector list payload.',
  );

  reply = () => json({ tables: ['sales'] });
  await expect(runConnectorTool({ action: 'schema', connector_id: 'w' }, hub, auth)).resolves.toBe(
    'Connector action failed: Connector service returned invalid schema payload.',
  );

  reply = () => ({ body: '' });
  await expect(runConnectorTool(query, hub, auth)).resolves.toBe(
    "Connector 'warehouse' query completed.\nRows returned: 0 (row_count=0, truncated=False).",
  );

  reply = () => ({ body: '{}', delay: 1500 });
  await expect(runConnectorTool(query, hubFor({ timeoutSeconds: 0.2 }), auth)).resolves.toBe(
    'Connector action failed: Connector service unreachable: timed out',
  );

  // A port that was just free: nothing listens there.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const unreachable = await runConnectorTool(query, hubFor({ apiBaseUrl: `http://127.0.0.1:${port}` }), auth);
  expect(unreachable).toBe(`Connector action failed: Connector service unreachable: connect ECONNREFUSED 127.0.0.1:${port}`);
});
