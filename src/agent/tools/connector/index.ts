// The connector tool and its hubs (reference-behaviour.md §11).
export { createConnectorHub } from './hub.js';
export type { ConnectorConfig, ConnectorHubOptions } from './hub.js';
export { connectorToolSpec, runConnectorTool, CONNECTOR_NOT_CONFIGURED } from './tool.js';
export { authContextFrom, ConnectorError } from './types.js';
export type { AuthContext, ConnectorHub, ConnectorInfo, QueryResult } from './types.js';
