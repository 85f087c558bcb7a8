// The provider-neutral shape of one streamed model call. Messages and tools follow Anthropic's
// block model (the agent loop's history is written in it); each provider module translates them
// to its own wire format and back.

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string };
export interface ChatMessage { role: 'user' | 'assistant'; content: string | ContentBlock[] }
export interface ToolSpec { name: string; description: string; inputSchema: Record<string, unknown> }
export interface ToolCall { id: string; name: string; input: Record<string, unknown> }
export interface Usage { inputTokens: number; outputTokens: number }
export interface StreamRequest { model: string; system: string; messages: ChatMessage[]; tools: ToolSpec[]; maxTokens: number; signal: AbortSignal }
export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'complete'; content: string; toolCalls: ToolCall[]; usage: Usage; stopReason: string | null };
export interface LlmProvider { readonly name: string; stream(request: StreamRequest): AsyncIterable<StreamEvent> }
export class ProviderError extends Error {}   // messages a user can act on (HTTP status + provider message, unreachable endpoint, bad key)
