// The `connector` tool: what the model is offered (reference §10.4 item 4) and its handler (§11,
// "Tool handler"). Inputs are read exactly as the governance policy reads them (toolAction,
// connectorLimit), so that what was approved is what runs.

import { pyStr, pyStrip, pyTruthy } from '../../../python/strings.js';
import { connectorLimit } from '../../governance/policy.js';
import { fieldsOf, toolAction } from '../../governance/toolInput.js';
import type { ToolSpec } from '../../providers/types.js';
import { formatList, formatQueryResult, formatSchema, formatWrite } from './format.js';
import type { AuthContext, ConnectorHub } from './types.js';
import { errorMessage } from '../../../errors.js';

export const CONNECTOR_ACTIONS = ['list', 'schema', 'query', 'sample', 'write'] as const;

export const connectorToolSpec: ToolSpec = {
  name: 'connector',
  description:
    "Reach the team's configured data sources. `list` shows the connectors, `schema` their tables and columns, " +
    '`query` runs a read-only SQL query and previews the rows, `sample` previews the first rows of a table, ' +
    '`write` runs a statement that changes data (it needs approval). Prefer a WHERE clause or a LIMIT in queries.',
  inputSchema: {
    type: 'object',
    properties: {
      action: { type: 'string', enum: [...CONNECTOR_ACTIONS], description: 'What to do.' },
      connector_id: { type: 'string', description: 'The connector, as `list` names it (all actions but list).' },
      query: { type: 'string', description: 'SQL for query and write.' },
      table: { type: 'string', description: 'Table name for sample.' },
      limit: { type: 'integer', description: 'Most rows to return for query and sample (default 1000).' },
    },
    required: ['action'],
  },
};

export const CONNECTOR_NOT_CONFIGURED = 'Connector tool is not configured for this runtime.';

/** The largest limit handed to a hub, so that `limit + 1` stays an exact JavaScript number. */
const MAX_LIMIT = BigInt(Number.MAX_SAFE_INTEGER - 1);

/** `str(input.get(name) or "").strip()`: a missing, null or empty value reads as "". */
function textField(fields: Record<string, unknown>, name: string): string {
  const value = fields[name];
  return pyStrip(pyStr(pyTruthy(value) ? value : ''));
}

/** Runs one connector call and returns the text the model receives. Never throws. */
export async function runConnectorTool(input: unknown, hub: ConnectorHub | null, auth: AuthContext | null): Promise<string> {
  if (hub === null) return CONNECTOR_NOT_CONFIGURED;
  const fields = fieldsOf(input);
  const action = toolAction(input);
  const connectorId = textField(fields, 'connector_id');
  // int(limit), 1000 when missing or unreadable, then max(1, …); capped only to stay exact.
  const wanted = connectorLimit(input);
  const limit = Number(wanted < 1n ? 1n : wanted > MAX_LIMIT ? MAX_LIMIT : wanted);
  const missing = (name: string): string => `${name} is required for ${action} action.`;

  try {
    switch (action) {
      case 'list':
        return formatList(await hub.list(auth));
      case 'schema':
        if (!connectorId) return missing('connector_id');
        return formatSchema(connectorId, await hub.schema(connectorId, auth));
      case 'query': {
        const query = textField(fields, 'query');
        if (!connectorId) return missing('connector_id');
        if (!query) return missing('query');
        return formatQueryResult(connectorId, await hub.query(connectorId, query, limit, auth));
      }
      case 'sample': {
        const table = textField(fields, 'table');
        if (!connectorId) return missing('connector_id');
        if (!table) return missing('table');
        return formatQueryResult(connectorId, await hub.sample(connectorId, table, limit, auth));
      }
      case 'write': {
        const query = textField(fields, 'query');
        if (!connectorId) return missing('connector_id');
        if (!query) return missing('query');
        const { affectedRows } = await hub.write(connectorId, query, auth);
        return formatWrite(connectorId, affectedRows);
      }
      default:
        return `Unknown connector action: ${action}`;
    }
  } catch (error) {
    return `Connector action failed: ${errorMessage(error)}`;
  }
}
