import type { Config } from '../config.js';
import { AntonAgent } from './antonAgent.js';
import { createProvider, missingSettingsFor, settingsFor } from './providers/index.js';
import { createConnectorHub } from './tools/connector/hub.js';
import { SessionTools } from './tools/sessionTools.js';
import type { Agent } from './types.js';
import { UnconfiguredAgent } from './unconfigured.js';

/** The agent the configuration describes, or one that fails every run naming the settings to set. */
export function createAgent(config: Config): Agent {
  const kind = config.llm.planningProvider;
  const missing = missingSettingsFor(kind, config.llm);
  if (missing) return new UnconfiguredAgent(`No LLM provider is configured: ${missing}`);
  return new AntonAgent({
    provider: createProvider(kind, settingsFor(kind, config.llm)),
    llm: config.llm,
    governance: config.governance,
    contextDir: config.contextDir,
    connectorMode: config.connector.mode,
    sessionTools: new SessionTools(createConnectorHub(config.connector)),
  });
}
