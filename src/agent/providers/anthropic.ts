// The Anthropic Messages API, streamed. Our history is already written in Anthropic's block
// model, so the request translation is nearly the identity; the work is folding the raw stream
// events back into one `complete` event.

import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { MAX_RETRIES, parseToolInput, streamCall } from './shared.js';
import type { CallTarget, Folder, ProviderOptions } from './shared.js';
import { ProviderError } from './types.js';
import type { ChatMessage, ContentBlock, LlmProvider, StreamEvent, StreamRequest, ToolCall, ToolSpec } from './types.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicSettings {
  apiKey: string;
  baseUrl: string | null;
}

export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  private readonly client: Anthropic;
  private readonly target: CallTarget;

  constructor(
    settings: AnthropicSettings,
    private readonly options: ProviderOptions,
  ) {
    const baseURL = settings.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL;
    this.client = new Anthropic({
      apiKey: settings.apiKey,
      // Every value explicit: otherwise the SDK would consult ANTHROPIC_BASE_URL and
      // ANTHROPIC_AUTH_TOKEN itself, and settings from the .env chain (src/config.ts) would lose.
      authToken: null,
      baseURL,
      maxRetries: MAX_RETRIES,
      timeout: options.timeoutMs,
    });
    this.target = {
      label: 'Anthropic API',
      baseUrl: baseURL,
      keySetting: 'ANTON_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY',
      urlSetting: 'ANTON_ANTHROPIC_BASE_URL',
      timeoutMs: options.timeoutMs,
    };
  }

  stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    return streamCall({
      signal: request.signal,
      idleTimeoutMs: this.options.idleTimeoutMs,
      target: this.target,
      sdk: Anthropic,
      open: (signal) => this.client.messages.create(toAnthropicRequest(request), { signal }),
      folder: new StreamFolder(),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Request translation.

export function toAnthropicRequest(request: StreamRequest): MessageCreateParamsStreaming {
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    // The API rejects an empty system text block; an empty prompt simply means none.
    ...(request.system === '' ? {} : { system: request.system }),
    messages: request.messages.map(toAnthropicMessage),
    ...(request.tools.length === 0 ? {} : { tools: request.tools.map(toAnthropicTool) }),
    stream: true,
  };
}

export function toAnthropicMessage(message: ChatMessage): MessageParam {
  if (typeof message.content === 'string') return { role: message.role, content: message.content };
  return {
    role: message.role,
    // The API rejects empty text blocks ("text content blocks must be non-empty").
    content: message.content.filter((block) => block.type !== 'text' || block.text !== '').map(toAnthropicBlock),
  };
}

function toAnthropicBlock(block: ContentBlock): ContentBlockParam {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: block.tool_use_id, content: block.content };
  }
}

export function toAnthropicTool(tool: ToolSpec): Tool {
  return {
    name: tool.name,
    description: tool.description,
    // Our tool schemas are JSON Schema objects (`type: "object"`), which is what the API wants.
    input_schema: tool.inputSchema as Tool.InputSchema,
  };
}

// ---------------------------------------------------------------------------------------------
// Response folding.

type OpenBlock = { kind: 'text' } | { kind: 'tool'; id: string; name: string; json: string; initial: Record<string, unknown> };

/** Folds raw stream events into text deltas and, at the end, one `complete` event. */
export class StreamFolder implements Folder<RawMessageStreamEvent> {
  private readonly blocks = new Map<number, OpenBlock>();
  private readonly toolCalls: ToolCall[] = [];
  private content = '';
  private inputTokens = 0;
  private outputTokens = 0;
  private stopReason: string | null = null;
  private stopped = false;

  /** Takes one event; returns text to pass on, if the event carried any. */
  add(event: RawMessageStreamEvent): string | undefined {
    switch (event.type) {
      case 'message_start':
        this.inputTokens = event.message.usage.input_tokens;
        this.outputTokens = event.message.usage.output_tokens;
        return undefined;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          this.blocks.set(event.index, { kind: 'text' });
          return this.addText(block.text);
        }
        if (block.type === 'tool_use') {
          const initial = (block.input ?? {}) as Record<string, unknown>;
          this.blocks.set(event.index, { kind: 'tool', id: block.id, name: block.name, json: '', initial });
        }
        return undefined; // thinking and server-tool blocks are not ours to show
      }
      case 'content_block_delta': {
        const open = this.blocks.get(event.index);
        if (event.delta.type === 'text_delta' && open?.kind === 'text') return this.addText(event.delta.text);
        if (event.delta.type === 'input_json_delta' && open?.kind === 'tool') open.json += event.delta.partial_json;
        return undefined;
      }
      case 'content_block_stop': {
        const open = this.blocks.get(event.index);
        if (open?.kind === 'tool') {
          // The start event carries `{}` and the arguments arrive as JSON fragments; a block
          // without fragments keeps what the start event said.
          const input = open.json === '' ? open.initial : parseToolInput(open.json);
          this.toolCalls.push({ id: open.id, name: open.name, input });
        }
        this.blocks.delete(event.index);
        return undefined;
      }
      case 'message_delta':
        // Cumulative: the last message_delta holds the final output count.
        this.outputTokens = event.usage.output_tokens;
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        return undefined;
      case 'message_stop':
        this.stopped = true;
        return undefined;
    }
  }

  complete(label: string): StreamEvent {
    if (!this.stopped) {
      // A body that ends without message_stop was cut off; its text and tool calls may be partial.
      throw new ProviderError(`The ${label} stream ended before the message was complete.`);
    }
    return {
      type: 'complete',
      content: this.content,
      toolCalls: this.toolCalls,
      usage: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      stopReason: this.stopReason,
    };
  }

  private addText(text: string): string | undefined {
    if (text === '') return undefined;
    this.content += text;
    return text;
  }
}
