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
