// The one narrow interface between the run engine and an agent. The agent sits at the bottom of
// the dependency graph: it declares what it needs here and imports no domain service; the run
// engine hands it adapters (style.md item 13).

/** Where an agent reports what happens while it works. */
export interface AgentSink {
  /** Appends an event to the session's event stream (stored, ordered, visible to every reader). */
  event(eventType: string, payload: Record<string, unknown>): Promise<void>;
  /** Reply text as it streams from the model; kept by the engine as the partial reply. */
  replyDelta(text: string): void;
  /** Running totals, so that a cancelled or failed run still records what it used. */
  usage(totals: { inputTokens: number; outputTokens: number; toolCalls: number }): void;
  /** What the model really received and who answered, for the run's trace. */
  describe(details: { provider?: string; model?: string; modelPrompt?: string; systemPrompt?: string }): void;
}

import type { ApprovalStore } from './governance/gate.js';
import type { ConversationPort, MemoryPort } from './ports.js';

/** The stores one run works with, handed over by the engine. */
export interface AgentPorts {
  conversation: ConversationPort;
  memory: MemoryPort;
  approvals: ApprovalStore;
}

export interface AgentRunInput {
  runId: string;
  sessionId: string;
  /** The session's workspace folder (absolute) and its `.anton/output` folder. */
  workspacePath: string;
  outputDir: string;
  /** The message exactly as the client sent it. */
  message: string;
  sessionMetadata: Record<string, unknown>;
  /** Aborted when the run is cancelled or the service shuts down. */
  signal: AbortSignal;
  sink: AgentSink;
  ports: AgentPorts;
}

export interface AgentOutcome {
  reply: string;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  /** Approvals this run created that are still pending: the run ends `approval_required`. */
  pendingApprovalIds: string[];
  /** Set when the agent ends the run as failed without throwing (a budget, for instance). */
  error?: string | null;
}

export interface Agent {
  run(input: AgentRunInput): Promise<AgentOutcome>;
  /** Releases what the agent holds across runs (scratchpad processes, connector pools). */
  close?(): Promise<void>;
}
