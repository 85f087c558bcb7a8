import { RunBudget } from '../../../src/agent/governance/budget.js';

describe('RunBudget', () => {
  it('adds usage and counts tool calls', () => {
    const budget = new RunBudget({ maxTokensPerRun: 100, maxToolCallsPerRun: 5 });
    budget.addUsage(10, 5);
    budget.addUsage(7, 3);
    expect(budget.countToolCall()).toBe(1);
    expect(budget.countToolCall()).toBe(2);
    expect(budget.inputTokens).toBe(17);
    expect(budget.outputTokens).toBe(8);
    expect(budget.totalTokens).toBe(25);
    expect(budget.toolCalls).toBe(2);
    expect(budget.totals()).toEqual({ inputTokens: 17, outputTokens: 8, toolCalls: 2 });
    expect(budget.exceeded()).toBeNull();
  });

  it('treats token counts a provider did not give as 0', () => {
    const budget = new RunBudget({ maxTokensPerRun: 100, maxToolCallsPerRun: 5 });
    budget.addUsage(Number.NaN, -3);
    expect(budget.totals()).toEqual({ inputTokens: 0, outputTokens: 0, toolCalls: 0 });
  });

  it('reports the token budget only when strictly exceeded', () => {
    const budget = new RunBudget({ maxTokensPerRun: 100, maxToolCallsPerRun: 5 });
    budget.addUsage(60, 40);
    expect(budget.exceeded()).toBeNull();
    budget.addUsage(0, 1);
    expect(budget.exceeded()).toBe('Run token budget exceeded (101 > 100).');
  });

  it('reports the tool-call budget from the call after the maximum', () => {
    const budget = new RunBudget({ maxTokensPerRun: 100, maxToolCallsPerRun: 3 });
    for (let i = 0; i < 3; i += 1) budget.countToolCall();
    expect(budget.exceeded()).toBeNull();
    budget.countToolCall();
    expect(budget.exceeded()).toBe('Run tool-call budget exceeded (4 > 3).');
  });

  it('checks tokens before tool calls', () => {
    const budget = new RunBudget({ maxTokensPerRun: 10, maxToolCallsPerRun: 0 });
    budget.countToolCall();
    budget.addUsage(11, 0);
    expect(budget.exceeded()).toBe('Run token budget exceeded (11 > 10).');
  });

  it('keeps its own copy of the limits', () => {
    const limits = { maxTokensPerRun: 10, maxToolCallsPerRun: 1 };
    const budget = new RunBudget(limits);
    limits.maxTokensPerRun = 0;
    budget.addUsage(5, 0);
    expect(budget.exceeded()).toBeNull();
  });
});
