// A zero-latency model in this process: the real agent (AntonAgent: memory recall, the tool loop,
// the conversation kept in PostgreSQL, the session summary) in front of an LlmProvider that
// answers at once without tools. A turn then does every piece of database work a real one-round
// turn does, and nothing waits on a network model.
import { AntonAgent } from '../../src/agent/antonAgent.js';
import type { LlmProvider, StreamEvent, StreamRequest } from '../../src/agent/providers/types.js';
import { SessionTools } from '../../src/agent/tools/sessionTools.js';
import type { Agent } from '../../src/agent/types.js';
import type { Config } from '../../src/config.js';

export const ZERO_REPLY = 'done';

export const zeroLatencyProvider: LlmProvider = {
  name: 'bench-zero',
  async *stream(_request: StreamRequest): AsyncIterable<StreamEvent> {
    yield { type: 'text', text: ZERO_REPLY };
    yield { type: 'complete', content: ZERO_REPLY, toolCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, stopReason: 'end_turn' };
  },
};

/** The agent the service would build from `config`, with the zero-latency provider (no connector hub, no python started). */
export function zeroLatencyAgent(config: Config): Agent {
  return new AntonAgent({
    provider: zeroLatencyProvider,
    llm: config.llm,
    governance: config.governance,
    contextDir: config.contextDir,
    connectorMode: config.connector.mode,
    sessionTools: new SessionTools(null),
  });
}
