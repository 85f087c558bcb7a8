// What the agent needs from the rest of the service, declared here so that the agent imports no
// domain code; the run engine hands it adapters over the real stores (style.md item 13).
import type { ChatMessage } from './providers/types.js';

/** The session's conversation as the model sees it; appended message by message. */
export interface ConversationPort {
  load(): Promise<ChatMessage[]>;
  append(message: ChatMessage): Promise<void>;
}

export interface MemoryProvenance {
  kind: 'session_summary' | 'learning';
  id: string;
}

export interface Recall {
  /** The wrapped memory context to add to the user's message, or null when nothing was recalled. */
  context: string | null;
  provenance: MemoryProvenance[];
}

export interface MemoryPort {
  recall(task: string): Promise<Recall>;
  /** Saves (or extends) a learning; returns its stable id. */
  saveLearning(input: { topic: string; content: string; summary: string }): Promise<string>;
  /** Records what this run did, for later runs to recall. */
  saveSummary(summary: string): Promise<void>;
}
