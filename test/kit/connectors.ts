// A connector hub in local mode over real databases, as the connector and security tests need it.
import { createConnectorHub } from '../../src/agent/tools/connector/hub.js';
import type { ConnectorHub } from '../../src/agent/tools/connector/types.js';

/** SQLite files (relative to `baseDir`) and PostgreSQL URLs by connection name. */
export function localConnectorHub(baseDir: string, sqlite: Record<string, string>, postgres: Record<string, string>): ConnectorHub {
  const hub = createConnectorHub(
    { mode: 'local', apiBaseUrl: null, apiToken: null, apiPathPrefix: '/v1', timeoutSeconds: 5, localSqliteMap: sqlite, postgresMap: postgres },
    { baseDir },
  );
  if (hub === null) throw new Error('expected a connector hub');
  return hub;
}
