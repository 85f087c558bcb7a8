import { ConfigError } from '../../../src/config.js';
import { createConnectorHub } from '../../../src/agent/tools/connector/hub.js';
import type { ConnectorConfig } from '../../../src/agent/tools/connector/hub.js';
import { HttpBridgeHub } from '../../../src/agent/tools/connector/http.js';
import { describePostgresUrl } from '../../../src/agent/tools/connector/postgres.js';

const base: ConnectorConfig = {
  mode: 'none',
  apiBaseUrl: null,
  apiToken: null,
  apiPathPrefix: '/v1',
  timeoutSeconds: 30,
  localSqliteMap: {},
  postgresMap: {},
};

describe('createConnectorHub', () => {
  it('gives no hub in none mode, even with maps', () => {
    expect(createConnectorHub({ ...base, localSqliteMap: { a: 'a.db' }, postgresMap: { p: 'postgres://h/db' } })).toBeNull();
  });

  it('needs a base URL in http mode', () => {
    expect(createConnectorHub({ ...base, mode: 'http' })).toBeNull();
    expect(createConnectorHub({ ...base, mode: 'http', apiBaseUrl: 'http://bridge' })).toBeInstanceOf(HttpBridgeHub);
  });

  it('gives no hub in local mode when both maps are empty', () => {
    expect(createConnectorHub({ ...base, mode: 'local' })).toBeNull();
  });

  it('serves the SQLite and PostgreSQL maps together in local mode, sorted by id', async () => {
    const hub = createConnectorHub(
      {
        ...base,
        mode: 'local',
        localSqliteMap: { zeta: 'data/z.db', alpha: '/abs/a.db' },
        postgresMap: { mid: 'postgres://reader:secret@db.example:5432/warehouse?sslmode=require' },
      },
      { baseDir: '/srv' },
    );
    expect(hub).not.toBeNull();
    await expect(hub?.list()).resolves.toEqual([
      { id: 'alpha', type: 'sqlite', description: '/abs/a.db' },
      { id: 'mid', type: 'postgresql', description: 'postgres://reader@db.example:5432/warehouse' },
      { id: 'zeta', type: 'sqlite', description: 'data/z.db' },
    ]);
    await expect(hub?.schema('nope')).rejects.toThrow("Unknown connector_id 'nope'.");
    await expect(hub?.schema('zeta')).rejects.toThrow("SQLite database for connector 'zeta' not found: /srv/data/z.db");
    await hub?.close();
  });

  it('offers PostgreSQL connectors alone in local mode', async () => {
    const hub = createConnectorHub({ ...base, mode: 'local', postgresMap: { wh: 'postgresql://h/db' } });
    await expect(hub?.list()).resolves.toEqual([{ id: 'wh', type: 'postgresql', description: 'postgresql://h/db' }]);
    await hub?.close();
  });

  it('refuses an id that is in both maps', () => {
    const config = { ...base, mode: 'local' as const, localSqliteMap: { db: 'a.db' }, postgresMap: { db: 'postgres://h/db' } };
    expect(() => createConnectorHub(config)).toThrow(ConfigError);
    expect(() => createConnectorHub(config)).toThrow(/Connector id 'db' is in both/);
  });
});

describe('describePostgresUrl', () => {
  it('never shows a password', () => {
    expect(describePostgresUrl('postgres://u:p%40ss@h:5433/db')).toBe('postgres://u@h:5433/db');
    expect(describePostgresUrl('host=h password=secret')).toBe('PostgreSQL database');
    expect(describePostgresUrl('mysql://u:p@h/db')).toBe('PostgreSQL database');
  });
});

describe('HttpBridgeHub URLs', () => {
  const url = (baseUrl: string, pathPrefix: string): string =>
    new HttpBridgeHub({ baseUrl, token: null, pathPrefix, timeoutSeconds: 30 }).url();

  it('keeps a path in the base URL and drops trailing slashes of the prefix', () => {
    expect(url('http://bridge:8080', '/v1')).toBe('http://bridge:8080/v1/connectors');
    expect(url('http://bridge:8080/', '/v1/')).toBe('http://bridge:8080/v1/connectors');
    expect(url('http://bridge/api', '/v2')).toBe('http://bridge/api/v2/connectors');
    expect(url('http://bridge/api/', '')).toBe('http://bridge/api/connectors');
  });
});
