// Which connector hub a runtime gets (reference §11, "Hub selection"), plus PostgreSQL connectors:
// - `none` → no hub (the connector tool is not offered).
// - `http` → the HTTP bridge when ANTON_CONNECTOR_API_BASE_URL is set, else no hub.
// - `local` → the SQLite map and the PostgreSQL map together, in one hub; no hub when both are empty.
//   An id in both maps is a configuration error (ConfigError). The PostgreSQL map is read in
//   `local` mode only.
// (Invalid map JSON and unknown modes never get here: config.ts refuses them at start-up.)

import path from 'node:path';
import type { Config } from '../../../config.js';
import { ConfigError } from '../../../config.js';
import { HttpBridgeHub } from './http.js';
import type { LocalConnector } from './local.js';
import { LocalConnectorHub } from './local.js';
import { PostgresConnector } from './postgres.js';
import { SqliteConnector } from './sqlite.js';
import type { ConnectorHub } from './types.js';

export type ConnectorConfig = Config['connector'];

export interface ConnectorHubOptions {
  /** Relative SQLite paths resolve against this directory; default the process's working directory. */
  baseDir?: string;
}

export function createConnectorHub(config: ConnectorConfig, options: ConnectorHubOptions = {}): ConnectorHub | null {
  if (config.mode === 'http') {
    if (!config.apiBaseUrl) return null;
    return new HttpBridgeHub({
      baseUrl: config.apiBaseUrl,
      token: config.apiToken,
      pathPrefix: config.apiPathPrefix,
      timeoutSeconds: config.timeoutSeconds,
    });
  }
  if (config.mode !== 'local') return null;

  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const connectors: LocalConnector[] = [];
  for (const [id, file] of Object.entries(config.localSqliteMap)) {
    connectors.push(new SqliteConnector(id, file, baseDir));
  }
  for (const [id, url] of Object.entries(config.postgresMap)) {
    if (Object.hasOwn(config.localSqliteMap, id)) {
      throw new ConfigError(
        `Connector id '${id}' is in both ANTON_CONNECTOR_LOCAL_SQLITE_MAP and ANTON_CONNECTOR_POSTGRES_MAP; give each connector its own id.`,
      );
    }
    connectors.push(new PostgresConnector(id, url, config.timeoutSeconds));
  }
  return connectors.length === 0 ? null : new LocalConnectorHub(connectors);
}
