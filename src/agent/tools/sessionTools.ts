import type { Tool } from '../loop.js';
import { authContextFrom, type ConnectorHub } from './connector/types.js';
import { connectorToolSpec, runConnectorTool } from './connector/tool.js';
import { ScratchpadManager } from './scratchpad/manager.js';
import { runScratchpadTool, scratchpadToolSpec } from './scratchpad/tool.js';

/**
 * The tools that hold state beyond one run: each session's scratchpad processes (so variables
 * survive between turns) and the connector hub with its pools, shared by every session.
 */
export class SessionTools {
  private readonly scratchpads = new Map<string, ScratchpadManager>();

  constructor(
    private readonly connectorHub: ConnectorHub | null,
    private readonly python = 'python3',
  ) {}

  toolsFor(sessionId: string, workspacePath: string, sessionMetadata: Record<string, unknown>): Tool[] {
    let manager = this.scratchpads.get(sessionId);
    if (!manager) {
      manager = new ScratchpadManager({ workspacePath, python: this.python });
      this.scratchpads.set(sessionId, manager);
    }
    const pads = manager;
    const tools: Tool[] = [{ spec: scratchpadToolSpec, run: (input, signal) => runScratchpadTool(input, pads, signal) }];
    const hub = this.connectorHub;
    if (hub) {
      // Taken from the session's metadata at every run, as the reference does.
      const auth = authContextFrom(sessionMetadata);
      tools.push({ spec: connectorToolSpec, run: (input) => runConnectorTool(input, hub, auth) });
    }
    return tools;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.scratchpads.values()].map((manager) => manager.closeAll()));
    this.scratchpads.clear();
    await this.connectorHub?.close();
  }
}
