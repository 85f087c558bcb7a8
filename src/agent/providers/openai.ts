// OpenAI Chat Completions, streamed, for both the `openai` and the `openai-compatible` provider
// (Ollama, vLLM, llama.cpp, LM Studio, proxies): the same wire protocol, a different endpoint.
// Our Anthropic-style history is translated on the way out (tool_use → `tool_calls`,
// tool_result → `role:"tool"` messages), and streamed fragments are folded on the way back.

import OpenAI from 'openai';
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions/completions';
import { MAX_RETRIES, parseToolInput, streamCall } from './shared.js';
import type { CallTarget, Folder, ProviderOptions } from './shared.js';
import { ProviderError } from './types.js';
import type { ChatMessage, LlmProvider, StreamEvent, StreamRequest, ToolCall, ToolSpec } from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when an openai-compatible server needs no key: the SDK refuses to run without one. */
export const PLACEHOLDER_API_KEY = 'not-needed';

export interface OpenAISettings {
  kind: 'openai' | 'openai-compatible';
  apiKey: string | null;
  baseUrl: string | null;
}

export class OpenAIProvider implements LlmProvider {
  readonly name: 'openai' | 'openai-compatible';
  private readonly client: OpenAI;
  private readonly target: CallTarget;

  constructor(
    settings: OpenAISettings,
    private readonly options: ProviderOptions,
  ) {
    this.name = settings.kind;
    const compatible = settings.kind === 'openai-compatible';
    const baseURL = settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL;
    this.client = new OpenAI({
      // Explicit, so the SDK does not fall back to OPENAI_API_KEY / OPENAI_BASE_URL behind
      // src/config.ts's back (config already applied those fallbacks, .env chain included).
      apiKey: settings.apiKey ?? PLACEHOLDER_API_KEY,
      baseURL,
      // OPENAI_ORG_ID / OPENAI_PROJECT_ID mean something to OpenAI only; don't send them elsewhere.
      ...(compatible ? { organization: null, project: null } : {}),
      maxRetries: MAX_RETRIES,
      timeout: options.timeoutMs,
    });
    this.target = {
      label: compatible ? 'OpenAI-compatible endpoint' : 'OpenAI API',
      baseUrl: baseURL,
      keySetting: 'ANTON_OPENAI_API_KEY or OPENAI_API_KEY',
      urlSetting: 'ANTON_OPENAI_BASE_URL',
      timeoutMs: options.timeoutMs,
    };
  }

  stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    return streamCall({
      signal: request.signal,
      idleTimeoutMs: this.options.idleTimeoutMs,
      target: this.target,
      sdk: OpenAI,
      open: (signal) => this.client.chat.completions.create(toOpenAIRequest(request), { signal }),
      folder: new ChunkFolder(),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Request translation.

export function toOpenAIRequest(request: StreamRequest): ChatCompletionCreateParamsStreaming {
  const system: ChatCompletionMessageParam[] = request.system === '' ? [] : [{ role: 'system', content: request.system }];
  return {
    model: request.model,
    messages: [...system, ...request.messages.flatMap(toOpenAIMessages)],
    // OpenAI rejects `tools: []`; no tools means no field.
    ...(request.tools.length === 0 ? {} : { tools: request.tools.map(toOpenAITool) }),
    max_completion_tokens: request.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
}

/**
 * One of our messages becomes one or more Chat Completions messages:
 * - assistant: its text joined, its tool_use blocks as `tool_calls` (arguments as JSON text);
 * - user: one `role:"tool"` message per tool_result (they must directly follow the assistant
 *   message that made the calls), then a user message for any text.
 */
export function toOpenAIMessages(message: ChatMessage): ChatCompletionMessageParam[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  const blocks = message.content;
  const text = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');

  if (message.role === 'assistant') {
    const toolCalls = blocks.flatMap((b) =>
      b.type === 'tool_use'
        ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }]
        : [],
    );
    const assistant: ChatCompletionAssistantMessageParam = { role: 'assistant', content: text };
    if (toolCalls.length > 0) {
      // Content may be null when the reply is only tool calls; some servers reject "".
      assistant.content = text === '' ? null : text;
      assistant.tool_calls = toolCalls;
    }
    return [assistant];
  }

  const results: ChatCompletionMessageParam[] = blocks.flatMap((b) =>
    b.type === 'tool_result' ? [{ role: 'tool' as const, tool_call_id: b.tool_use_id, content: b.content }] : [],
  );
  const hasText = blocks.some((b) => b.type === 'text');
  return hasText || results.length === 0 ? [...results, { role: 'user', content: text }] : results;
}

export function toOpenAITool(tool: ToolSpec): ChatCompletionFunctionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
  };
}

// ---------------------------------------------------------------------------------------------
// Response folding.

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

/** Folds streamed chunks into text deltas and, at the end, one `complete` event. */
export class ChunkFolder implements Folder<ChatCompletionChunk> {
  /** By the `index` the chunks give; a Map keeps first-seen order. */
  private readonly calls = new Map<number, PartialCall>();
  private content = '';
  private inputTokens = 0;
  private outputTokens = 0;
  private finishReason: string | null = null;
  private finished = false;

  /** Takes one chunk; returns text to pass on, if the chunk carried any. */
  add(chunk: ChatCompletionChunk): string | undefined {
    // With include_usage the last chunk has `choices: []` and the totals; some servers send
    // running totals on every chunk, so the last one seen wins.
    if (chunk.usage) {
      this.inputTokens = chunk.usage.prompt_tokens ?? 0;
      this.outputTokens = chunk.usage.completion_tokens ?? 0;
    }
    let text = '';
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue; // we never ask for n > 1
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') text += delta.content;
      for (const fragment of delta.tool_calls ?? []) this.addToolFragment(fragment);
      if (choice.finish_reason) {
        this.finishReason = choice.finish_reason;
        this.finished = true;
      }
    }
    this.content += text;
    return text === '' ? undefined : text;
  }

  complete(label: string): StreamEvent {
    if (!this.finished) {
      // Every server we know ends with a finish_reason; without one the stream was cut off.
      throw new ProviderError(`The ${label} stream ended before the reply was complete (no finish_reason).`);
    }
    const toolCalls: ToolCall[] = [...this.calls.values()].map((call, position) => ({
      // Tool results are matched by id; a server that sends none still needs one.
      id: call.id === '' ? `call_${position}_${Date.now().toString(36)}` : call.id,
      name: call.name,
      input: parseToolInput(call.args),
    }));
    return {
      type: 'complete',
      content: this.content,
      toolCalls,
      usage: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      stopReason: this.finishReason,
    };
  }

  private addToolFragment(fragment: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    // OpenAI sends id and name in the first fragment of a call and then argument text under the
    // same index. Some compatible servers send each call whole, and a few reuse index 0 for
    // every call: a fragment bringing a new id therefore starts a new call.
    let key = fragment.index ?? this.calls.size;
    const known = this.calls.get(key);
    if (known && fragment.id && known.id !== '' && known.id !== fragment.id) key = nextFreeKey(this.calls);
    const call = this.calls.get(key) ?? { id: '', name: '', args: '' };
    this.calls.set(key, call);
    if (fragment.id && call.id === '') call.id = fragment.id;
    // The name comes whole; some servers repeat it in every fragment, so the first one stays.
    if (fragment.function?.name && call.name === '') call.name = fragment.function.name;
    if (fragment.function?.arguments) call.args += fragment.function.arguments;
  }
}

function nextFreeKey(map: Map<number, unknown>): number {
  let key = Math.max(-1, ...map.keys()) + 1;
  while (map.has(key)) key++;
  return key;
}
