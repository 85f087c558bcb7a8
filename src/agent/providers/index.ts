// Builds the provider a setting names. `missingSettingsFor` is the check to run first (at
// start-up): it says, in terms of environment variables, why a provider cannot be built.

import { AnthropicProvider } from './anthropic.js';
import { OpenAIProvider } from './openai.js';
import { HOSTED_DEFAULTS, LOCAL_DEFAULTS } from './shared.js';
import type { ProviderOptions } from './shared.js';
import { ProviderError } from './types.js';
import type { LlmProvider } from './types.js';

export type ProviderKind = 'anthropic' | 'openai' | 'openai-compatible';
export type ProviderRole = 'planning' | 'coding';

export interface ProviderSettings {
  apiKey: string | null;
  baseUrl: string | null;
}

/** The LLM part of the configuration this module reads (structurally `Config['llm']`). */
export interface LlmSettings {
  anthropicApiKey: string | null;
  anthropicBaseUrl: string | null;
  openaiApiKey: string | null;
  openaiBaseUrl: string | null;
}

export type { ProviderOptions } from './shared.js';
export { ProviderError } from './types.js';
export type {
  ChatMessage,
  ContentBlock,
  LlmProvider,
  StreamEvent,
  StreamRequest,
  ToolCall,
  ToolSpec,
  Usage,
} from './types.js';

/** The key and endpoint settings that apply to `kind`. */
export function settingsFor(kind: ProviderKind, llm: LlmSettings): ProviderSettings {
  return kind === 'anthropic'
    ? { apiKey: llm.anthropicApiKey, baseUrl: llm.anthropicBaseUrl }
    : { apiKey: llm.openaiApiKey, baseUrl: llm.openaiBaseUrl };
}

/**
 * Why a provider of `kind` cannot be built from these settings, or null when it can. `role`
 * only picks the variable named in the message (ANTON_PLANNING_PROVIDER / ANTON_CODING_PROVIDER).
 */
export function missingSettingsFor(kind: ProviderKind, llm: LlmSettings, role: ProviderRole = 'planning'): string | null {
  const chosen = `ANTON_${role.toUpperCase()}_PROVIDER is ${kind}`;
  switch (kind) {
    case 'anthropic':
      if (!llm.anthropicApiKey) {
        return `${chosen} but no API key is set: set ANTON_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY).`;
      }
      return badUrl('ANTON_ANTHROPIC_BASE_URL', llm.anthropicBaseUrl);
    case 'openai':
      if (!llm.openaiApiKey) {
        return `${chosen} but no API key is set: set ANTON_OPENAI_API_KEY (or OPENAI_API_KEY). For a server that needs no key, use openai-compatible with ANTON_OPENAI_BASE_URL.`;
      }
      return badUrl('ANTON_OPENAI_BASE_URL', llm.openaiBaseUrl);
    case 'openai-compatible':
      if (!llm.openaiBaseUrl) {
        return `${chosen} but no endpoint is set: set ANTON_OPENAI_BASE_URL (for example http://localhost:11434/v1 for Ollama).`;
      }
      return badUrl('ANTON_OPENAI_BASE_URL', llm.openaiBaseUrl);
  }
}

function badUrl(env: string, value: string | null): string | null {
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${env} must be an http(s) URL (got '${value}').`;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? null : `${env} must be an http(s) URL (got '${value}').`;
}

/**
 * A provider for `kind`. Throws ProviderError when a required setting is missing (anthropic and
 * openai need a key, openai-compatible needs a base URL); `missingSettingsFor` says so earlier and
 * in terms of env variables. `options` overrides the timeouts (tests use short ones).
 */
export function createProvider(
  kind: ProviderKind,
  settings: ProviderSettings,
  options: Partial<ProviderOptions> = {},
): LlmProvider {
  switch (kind) {
    case 'anthropic': {
      if (!settings.apiKey) throw new ProviderError('The anthropic provider needs an API key.');
      return new AnthropicProvider(
        { apiKey: settings.apiKey, baseUrl: settings.baseUrl },
        { ...HOSTED_DEFAULTS, ...options },
      );
    }
    case 'openai':
      if (!settings.apiKey) throw new ProviderError('The openai provider needs an API key.');
      return new OpenAIProvider({ kind, ...settings }, { ...HOSTED_DEFAULTS, ...options });
    case 'openai-compatible':
      if (!settings.baseUrl) throw new ProviderError('The openai-compatible provider needs a base URL.');
      return new OpenAIProvider({ kind, ...settings }, { ...LOCAL_DEFAULTS, ...options });
    default:
      // Config only produces the three kinds; a value from elsewhere fails like the reference.
      throw new ProviderError(`Unknown provider: ${String(kind)}`);
  }
}
