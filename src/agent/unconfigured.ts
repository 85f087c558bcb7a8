import type { Agent, AgentOutcome } from './types.js';

/**
 * The agent used when no LLM provider can be built: every run fails at once with an error that
 * says which settings to set, instead of hanging or failing deep inside a provider call.
 */
export class UnconfiguredAgent implements Agent {
  constructor(private readonly reason: string) {}

  run(): Promise<AgentOutcome> {
    return Promise.reject(new Error(this.reason));
  }
}

export function missingProviderReason(llm: {
  planningProvider: string;
  anthropicApiKey: string | null;
  openaiApiKey: string | null;
  openaiBaseUrl: string | null;
}): string {
  switch (llm.planningProvider) {
    case 'anthropic':
      if (!llm.anthropicApiKey) {
        return 'No LLM provider is configured: ANTON_PLANNING_PROVIDER is anthropic but no API key is set. Set ANTON_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY), or choose another provider with ANTON_PLANNING_PROVIDER.';
      }
      break;
    case 'openai':
      if (!llm.openaiApiKey) {
        return 'No LLM provider is configured: ANTON_PLANNING_PROVIDER is openai but no API key is set. Set ANTON_OPENAI_API_KEY (or OPENAI_API_KEY).';
      }
      break;
    case 'openai-compatible':
      if (!llm.openaiBaseUrl) {
        return 'No LLM provider is configured: ANTON_PLANNING_PROVIDER is openai-compatible but ANTON_OPENAI_BASE_URL is not set.';
      }
      break;
  }
  return `The ${llm.planningProvider} provider is configured, but this build of Anton Service has no LLM agent yet; runs cannot execute.`;
}
