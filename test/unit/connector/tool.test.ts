import { connectorLimit } from '../../../src/agent/governance/policy.js';
import { CONNECTOR_NOT_CONFIGURED, connectorToolSpec, runConnectorTool } from '../../../src/agent/tools/connector/tool.js';
import type { AuthContext, ConnectorHub, QueryResult } from '../../../src/agent/tools/connector/types.js';
import { ConnectorError } from '../../../src/agent/tools/connector/types.js';

interface Call {
  method: string;
  args: unknown[];
}

/** A hub that records its calls and answers with fixed data. */
function fakeHub(overrides: Partial<ConnectorHub> = {}): { hub: ConnectorHub; calls: Call[] } {
  const calls: Call[] = [];
  const result: QueryResult = { columns: ['region', 'amount'], rows: [['eu', 10.5]], rowCount: 1, truncated: false };
  const hub: ConnectorHub = {
    list: async (...args) => {
      calls.push({ method: 'list', args });
      return [{ id: 'localdb', type: 'sqlite', description: 'db.sqlite' }];
    },
    schema: async (...args) => {
      calls.push({ method: 'schema', args });
      return { sales: ['region', 'amount'] };
    },
    query: async (...args) => {
      calls.push({ method: 'query', args });
      return result;
    },
    sample: async (...args) => {
      calls.push({ method: 'sample', args });
      return { ...result, query: 'SELECT * FROM "sales" LIMIT 5' };
    },
    write: async (...args) => {
      calls.push({ method: 'write', args });
      return { affectedRows: 2 };
    },
    close: async () => undefined,
    ...overrides,
  };
  return { hub, calls };
}

const auth: AuthContext = { user_id: 'u-1', org_id: 'o-1', roles: ['analyst'], attributes: { region: 'eu' } };

describe('connectorToolSpec', () => {
  it('offers the five actions with the reference input fields', () => {
    expect(connectorToolSpec.name).toBe('connector');
    const schema = connectorToolSpec.inputSchema as {
      properties: Record<string, { type: string; enum?: string[] }>;
      required: string[];
    };
    expect(schema.required).toEqual(['action']);
    expect(schema.properties.action?.enum).toEqual(['list', 'schema', 'query', 'sample', 'write']);
    expect(Object.keys(schema.properties)).toEqual(['action', 'connector_id', 'query', 'table', 'limit']);
    expect(schema.properties.limit?.type).toBe('integer');
  });
});

describe('runConnectorTool', () => {
  it('says so when no hub is configured, whatever the input', async () => {
    await expect(runConnectorTool({ action: 'list' }, null, null)).resolves.toBe(CONNECTOR_NOT_CONFIGURED);
    await expect(runConnectorTool('nonsense', null, auth)).resolves.toBe('Connector tool is not configured for this runtime.');
  });

  it('formats list, schema, query, sample and write', async () => {
    const { hub } = fakeHub();
    await expect(runConnectorTool({ action: 'list' }, hub, null)).resolves.toBe(
      'Available connectors:\n- localdb (sqlite) - db.sqlite',
    );
    await expect(runConnectorTool({ action: 'schema', connector_id: 'localdb' }, hub, null)).resolves.toBe(
      "Schema for connector 'localdb':\n- sales: region, amount",
    );
    const query = await runConnectorTool({ action: 'query', connector_id: 'localdb', query: 'SELECT 1' }, hub, null);
    expect(query).toBe(
      "Connector 'localdb' query completed.\nRows returned: 1 (row_count=1, truncated=False).\nColumns: region, amount\nPreview:\n  1: ['eu', 10.5]",
    );
    const sample = await runConnectorTool({ action: 'sample', connector_id: 'localdb', table: 'sales' }, hub, null);
    expect(sample).toBe(query);
    await expect(runConnectorTool({ action: 'write', connector_id: 'localdb', query: 'DELETE FROM t' }, hub, null)).resolves.toBe(
      "Connector 'localdb' write executed successfully. Affected rows: 2.",
    );
  });

  it('lowercases the action and reports unknown ones', async () => {
    const { hub, calls } = fakeHub();
    await expect(runConnectorTool({ action: 'LIST' }, hub, null)).resolves.toContain('Available connectors:');
    await expect(runConnectorTool({ action: 'Drop' }, hub, null)).resolves.toBe('Unknown connector action: drop');
    await expect(runConnectorTool({}, hub, null)).resolves.toBe('Unknown connector action: ');
    await expect(runConnectorTool({ action: ' list' }, hub, null)).resolves.toBe('Unknown connector action:  list');
    expect(calls.map((call) => call.method)).toEqual(['list']);
  });

  it('names the missing argument', async () => {
    const { hub, calls } = fakeHub();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ action: 'schema' }, 'connector_id is required for schema action.'],
      [{ action: 'schema', connector_id: '  ' }, 'connector_id is required for schema action.'],
      [{ action: 'query', query: 'SELECT 1' }, 'connector_id is required for query action.'],
      [{ action: 'query', connector_id: 'db' }, 'query is required for query action.'],
      [{ action: 'query', connector_id: 'db', query: ' \n ' }, 'query is required for query action.'],
      [{ action: 'sample', table: 't' }, 'connector_id is required for sample action.'],
      [{ action: 'sample', connector_id: 'db', table: null }, 'table is required for sample action.'],
      [{ action: 'write', query: 'DELETE FROM t' }, 'connector_id is required for write action.'],
      [{ action: 'write', connector_id: 'db', query: '' }, 'query is required for write action.'],
    ];
    for (const [input, message] of cases) {
      await expect(runConnectorTool(input, hub, null)).resolves.toBe(message);
    }
    expect(calls).toEqual([]);
  });

  it('reads limit as the policy does, then raises it to at least 1', async () => {
    const limits: Array<[unknown, number]> = [
      [undefined, 1000],
      ['abc', 1000],
      [null, 1000],
      ['25', 25],
      [' 1_000 ', 1000],
      [91.9, 91],
      [true, 1],
      [0, 1],
      [-5, 1],
    ];
    for (const [limit, expected] of limits) {
      const { hub, calls } = fakeHub();
      const input = { action: 'query', connector_id: 'db', query: 'SELECT 1', ...(limit === undefined ? {} : { limit }) };
      await runConnectorTool(input, hub, null);
      await runConnectorTool({ ...input, action: 'sample', table: 't' }, hub, null);
      expect(calls.map((call) => call.args[2])).toEqual([expected, expected]);
      const policy = connectorLimit(input);
      expect(Number(policy < 1n ? 1n : policy)).toBe(expected);
    }
  });

  it('passes the query, table and auth context to the hub', async () => {
    const { hub, calls } = fakeHub();
    await runConnectorTool({ action: 'query', connector_id: ' localdb ', query: ' SELECT 1 ', limit: 5 }, hub, auth);
    await runConnectorTool({ action: 'sample', connector_id: 'localdb', table: 'sales', limit: '7' }, hub, auth);
    await runConnectorTool({ action: 'write', connector_id: 'localdb', query: 'DELETE FROM t' }, hub, auth);
    await runConnectorTool({ action: 'schema', connector_id: 'localdb' }, hub, auth);
    await runConnectorTool({ action: 'list' }, hub, auth);
    expect(calls).toEqual([
      { method: 'query', args: ['localdb', 'SELECT 1', 5, auth] },
      { method: 'sample', args: ['localdb', 'sales', 7, auth] },
      { method: 'write', args: ['localdb', 'DELETE FROM t', auth] },
      { method: 'schema', args: ['localdb', auth] },
      { method: 'list', args: [auth] },
    ]);
  });

  it('turns hub failures into a message and never throws', async () => {
    const { hub } = fakeHub({
      query: () => Promise.reject(new ConnectorError("Unknown connector_id 'x'.")),
      list: () => Promise.reject(new TypeError('boom')),
      write: () => Promise.reject('plain text'),
    });
    await expect(runConnectorTool({ action: 'query', connector_id: 'x', query: 'SELECT 1' }, hub, null)).resolves.toBe(
      "Connector action failed: Unknown connector_id 'x'.",
    );
    await expect(runConnectorTool({ action: 'list' }, hub, null)).resolves.toBe('Connector action failed: boom');
    await expect(runConnectorTool({ action: 'write', connector_id: 'x', query: 'q' }, hub, null)).resolves.toBe(
      'Connector action failed: plain text',
    );
  });
});
