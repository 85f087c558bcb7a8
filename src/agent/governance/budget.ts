// A run's budget: tokens used and tool calls made, against the run's limits (reference §5).
// The tracker only counts and reports. Decision 12: exceeding a budget ends the run as `failed`
// with a `budget_exceeded` event; acting on `exceeded()` is the agent loop's job.

export interface BudgetLimits {
  /** Total (input + output) tokens a run may use; more is over budget. */
  maxTokensPerRun: number;
  /** Tool calls a run may make; the call after the last allowed one is over budget. */
  maxToolCallsPerRun: number;
}

export interface BudgetTotals {
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
}

/** Token counts from a provider: anything that is not a finite, non-negative number counts as 0. */
function tokens(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export class RunBudget {
  readonly limits: Readonly<BudgetLimits>;
  #inputTokens = 0;
  #outputTokens = 0;
  #toolCalls = 0;

  constructor(limits: BudgetLimits) {
    this.limits = { maxTokensPerRun: limits.maxTokensPerRun, maxToolCallsPerRun: limits.maxToolCallsPerRun };
  }

  /** Adds the usage one model call reported. */
  addUsage(inputTokens: number, outputTokens: number): void {
    this.#inputTokens += tokens(inputTokens);
    this.#outputTokens += tokens(outputTokens);
  }

  /** Counts one tool call (before it is gated: a rejected call counts too). Returns the new count. */
  countToolCall(): number {
    this.#toolCalls += 1;
    return this.#toolCalls;
  }

  /**
   * The budget message when a limit is exceeded (strictly greater), tokens checked first; null
   * while within budget.
   */
  exceeded(): string | null {
    const { maxTokensPerRun, maxToolCallsPerRun } = this.limits;
    if (this.totalTokens > maxTokensPerRun) {
      return `Run token budget exceeded (${this.totalTokens} > ${maxTokensPerRun}).`;
    }
    if (this.#toolCalls > maxToolCallsPerRun) {
      return `Run tool-call budget exceeded (${this.#toolCalls} > ${maxToolCallsPerRun}).`;
    }
    return null;
  }

  get inputTokens(): number {
    return this.#inputTokens;
  }

  get outputTokens(): number {
    return this.#outputTokens;
  }

  get totalTokens(): number {
    return this.#inputTokens + this.#outputTokens;
  }

  get toolCalls(): number {
    return this.#toolCalls;
  }

  /** The running totals, in the shape `AgentSink.usage` takes. */
  totals(): BudgetTotals {
    return { inputTokens: this.#inputTokens, outputTokens: this.#outputTokens, toolCalls: this.#toolCalls };
  }
}
