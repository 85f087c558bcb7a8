// Which settings each provider needs, and the messages that name them.

import { createProvider, missingSettingsFor, settingsFor } from '../../../src/agent/providers/index.js';
import type { LlmSettings } from '../../../src/agent/providers/index.js';
import { ProviderError } from '../../../src/agent/providers/types.js';

const NONE: LlmSettings = { anthropicApiKey: null, anthropicBaseUrl: null, openaiApiKey: null, openaiBaseUrl: null };

describe('missingSettingsFor', () => {
  it('names the key variables when anthropic has no key', () => {
    expect(missingSettingsFor('anthropic', NONE)).toBe(
      'ANTON_PLANNING_PROVIDER is anthropic but no API key is set: set ANTON_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY).',
    );
  });

  it('names the role it was asked about', () => {
    expect(missingSettingsFor('openai', NONE, 'coding')).toMatch(
      /^ANTON_CODING_PROVIDER is openai but no API key is set: set ANTON_OPENAI_API_KEY \(or OPENAI_API_KEY\)\./,
    );
  });

  it('asks openai-compatible for an endpoint, not a key', () => {
    expect(missingSettingsFor('openai-compatible', NONE)).toMatch(/no endpoint is set: set ANTON_OPENAI_BASE_URL/);
    expect(missingSettingsFor('openai-compatible', { ...NONE, openaiBaseUrl: 'http://localhost:11434/v1' })).toBeNull();
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(missingSettingsFor('anthropic', { ...NONE, anthropicApiKey: 'k', anthropicBaseUrl: 'localhost:8080' })).toBe(
      "ANTON_ANTHROPIC_BASE_URL must be an http(s) URL (got 'localhost:8080').",
    );
    expect(missingSettingsFor('openai', { ...NONE, openaiApiKey: 'k', openaiBaseUrl: 'not a url' })).toMatch(
      /^ANTON_OPENAI_BASE_URL must be an http\(s\) URL/,
    );
  });

  it('is satisfied by a key alone for the hosted providers', () => {
    expect(missingSettingsFor('anthropic', { ...NONE, anthropicApiKey: 'k' })).toBeNull();
    expect(missingSettingsFor('openai', { ...NONE, openaiApiKey: 'k' })).toBeNull();
  });
});

describe('createProvider', () => {
  const llm: LlmSettings = { anthropicApiKey: 'a', anthropicBaseUrl: null, openaiApiKey: null, openaiBaseUrl: 'http://h/v1' };

  it('builds each kind from the settings that apply to it', () => {
    expect(settingsFor('anthropic', llm)).toEqual({ apiKey: 'a', baseUrl: null });
    expect(settingsFor('openai-compatible', llm)).toEqual({ apiKey: null, baseUrl: 'http://h/v1' });
    expect(createProvider('anthropic', settingsFor('anthropic', llm)).name).toBe('anthropic');
    expect(createProvider('openai-compatible', settingsFor('openai-compatible', llm)).name).toBe('openai-compatible');
    expect(createProvider('openai', { apiKey: 'k', baseUrl: null }).name).toBe('openai');
  });

  it('refuses to build a provider without its required setting', () => {
    expect(() => createProvider('anthropic', { apiKey: null, baseUrl: null })).toThrow(ProviderError);
    expect(() => createProvider('openai', { apiKey: null, baseUrl: 'http://h/v1' })).toThrow(ProviderError);
    expect(() => createProvider('openai-compatible', { apiKey: 'k', baseUrl: null })).toThrow(ProviderError);
  });
});
