// The tool loop of one turn (reference §10.2, decisions 12, 17, 19 and 20): stream a model call,
// run the tools it asks for through the governance gate, feed the results back, until the model
// answers without tools or the round limit is reached.
import type { AgentSink } from './types.js';
import type { ApprovalStore } from './governance/gate.js';
import { gateToolCall } from './governance/gate.js';
import type { RunBudget } from './governance/budget.js';
import type { PolicySettings } from './governance/policy.js';
import type { ConversationPort } from './ports.js';
import type { ChatMessage, ContentBlock, LlmProvider, StreamEvent, ToolCall, ToolSpec } from './providers/types.js';
import { errorMessage } from '../errors.js';

export const MAX_TOOL_ROUNDS = 25;
export const MAX_OUTPUT_TOKENS = 4096;
const ROUND_LIMIT_NUDGE = `SYSTEM: You have used ${MAX_TOOL_ROUNDS} tool-call rounds on this turn. Stop retrying. Summarize what you accomplished and what failed, then tell the user what they can do to unblock the issue.`;
const ERROR_MARKERS = ['[error]', 'Task failed:', 'failed', 'timed out', 'Rejected:'];
const SECOND_FAILURE_NUDGE =
  '\n\nSYSTEM: This tool has failed twice in a row. Step back and try a different approach: another query, a smaller step, another tool, or a workaround that reaches the same goal.';
const fifthFailureNudge = (tool: string): string =>
  `\n\nSYSTEM: The '${tool}' tool has failed 5 times in a row. Stop retrying this approach. Explain to the user what failed and what they could do about it.`;

// Providers refuse empty messages (Anthropic: "all messages must have non-empty content"), so
// a stored assistant turn without text says so in words.
const EMPTY_REPLY = '(no reply text)';
const ROUND_LIMIT_DROPPED = '(tool calls of this round were not run: the round limit was reached)';

function stopReason(error: unknown): string {
  if (error instanceof BudgetExceeded) return `the run ended on its budget (${error.message})`;
  return 'the run was stopped before this call.';
}

export interface Tool {
  spec: ToolSpec;
  run(input: Record<string, unknown>, signal: AbortSignal): Promise<string>;
}

export interface LoopInput {
  provider: LlmProvider;
  model: string;
  system: string;
  /** The user's message as the model receives it (memory context included). */
  userMessage: string;
  tools: Tool[];
  conversation: ConversationPort;
  sink: AgentSink;
  signal: AbortSignal;
  budget: RunBudget;
  policy: PolicySettings;
  approvals: ApprovalStore;
  sessionId: string;
  runId: string;
}

export interface LoopOutcome {
  reply: string;
  pendingApprovalIds: string[];
  /** Set when a budget ended the run (decision 12). */
  error: string | null;
}

class BudgetExceeded extends Error {}


/** Per tool, consecutive failures in this turn, and whether the second-failure nudge was sent. */
class FailureStreaks {
  private readonly streaks = new Map<string, { count: number; nudged: boolean }>();

  annotate(tool: string, text: string): string {
    const streak = this.streaks.get(tool) ?? { count: 0, nudged: false };
    if (!ERROR_MARKERS.some((marker) => text.includes(marker))) {
      this.streaks.set(tool, { count: 0, nudged: false });
      return text;
    }
    streak.count += 1;
    this.streaks.set(tool, streak);
    if (streak.count >= 5) return text + fifthFailureNudge(tool);
    if (streak.count >= 2 && !streak.nudged) {
      streak.nudged = true;
      return text + SECOND_FAILURE_NUDGE;
    }
    return text;
  }
}

export async function runToolLoop(input: LoopInput): Promise<LoopOutcome> {
  const { sink, budget, conversation } = input;
  const history = await conversation.load();
  const remember = async (message: ChatMessage): Promise<void> => {
    history.push(message);
    await conversation.append(message);
  };
  await remember({ role: 'user', content: input.userMessage });

  const replyParts: string[] = [];
  const pendingApprovalIds: string[] = [];
  const streaks = new FailureStreaks();
  const offered = new Set(input.tools.map((tool) => tool.spec.name));
  const toolsByName = new Map(input.tools.map((tool) => [tool.spec.name, tool]));

  const call = async (withTools: boolean): Promise<Extract<StreamEvent, { type: 'complete' }>> => {
    // Decision 19: text of successive rounds is joined by a blank line, live and stored alike.
    let separated = replyParts.length === 0;
    let complete: Extract<StreamEvent, { type: 'complete' }> | null = null;
    for await (const event of input.provider.stream({
      model: input.model,
      system: input.system,
      messages: [...history],
      tools: withTools ? input.tools.map((tool) => tool.spec) : [],
      maxTokens: MAX_OUTPUT_TOKENS,
      signal: input.signal,
    })) {
      input.signal.throwIfAborted();
      if (event.type === 'text') {
        if (!separated && event.text) {
          sink.replyDelta('\n\n');
          separated = true;
        }
        sink.replyDelta(event.text);
      } else complete = event;
    }
    if (!complete) throw new Error('The model stream ended without completing.');
    // Decision 20: every call's usage counts, the final one after the round limit included.
    budget.addUsage(complete.usage.inputTokens, complete.usage.outputTokens);
    sink.usage(budget.totals());
    await sink.event('stream_complete', {
      stop_reason: complete.stopReason,
      input_tokens: complete.usage.inputTokens,
      output_tokens: complete.usage.outputTokens,
    });
    if (complete.content) replyParts.push(complete.content);
    return complete;
  };

  const failForBudget = async (message: string): Promise<LoopOutcome> => {
    await sink.event('budget_exceeded', { error: message, ...snakeTotals(budget) });
    return { reply: replyParts.join('\n\n'), pendingApprovalIds, error: message };
  };

  try {
    let response = await call(true);
    let rounds = 0;
    for (;;) {
      await sink.event('llm_response', {
        mode: 'stream',
        stop_reason: response.stopReason ?? '',
        input_tokens: response.usage.inputTokens,
        output_tokens: response.usage.outputTokens,
        tool_calls: response.toolCalls.length,
      });
      const overBudget = budget.exceeded();
      if (overBudget) return await failForBudget(overBudget);
      if (response.toolCalls.length === 0) {
        await remember({ role: 'assistant', content: response.content || EMPTY_REPLY });
        await sink.event('assistant_reply', { mode: 'stream', content: response.content.slice(0, 2000) });
        break;
      }
      rounds += 1;
      if (rounds > MAX_TOOL_ROUNDS) {
        await remember({ role: 'assistant', content: response.content || ROUND_LIMIT_DROPPED });
        await remember({ role: 'user', content: ROUND_LIMIT_NUDGE });
        const last = await call(false);
        await remember({ role: 'assistant', content: last.content || EMPTY_REPLY });
        const finalOverBudget = budget.exceeded();
        if (finalOverBudget) return await failForBudget(finalOverBudget);
        break;
      }
      const blocks: ContentBlock[] = response.content ? [{ type: 'text', text: response.content }] : [];
      for (const toolCall of response.toolCalls) blocks.push({ type: 'tool_use', id: toolCall.id, name: toolCall.name, input: toolCall.input });
      await remember({ role: 'assistant', content: blocks });
      // Every tool call stored above gets a stored result, even when the run stops part-way
      // (a budget, a cancel): a call without its result would make every later turn of the
      // session unacceptable to the provider.
      const results: ContentBlock[] = [];
      let stopped: unknown = null;
      for (const toolCall of response.toolCalls) {
        let text: string;
        if (stopped !== null) text = `Not run: ${stopReason(stopped)}`;
        else {
          try {
            text = await runOneTool(toolCall);
          } catch (error) {
            stopped = error;
            text = error instanceof BudgetExceeded ? `Rejected: ${error.message}` : `Not run: ${stopReason(error)}`;
          }
        }
        results.push({ type: 'tool_result', tool_use_id: toolCall.id, content: text });
      }
      await remember({ role: 'user', content: results });
      if (stopped !== null) throw stopped;
      response = await call(true);
    }
  } catch (error) {
    if (error instanceof BudgetExceeded) return failForBudget(error.message);
    throw error;
  }
  return { reply: replyParts.join('\n\n'), pendingApprovalIds, error: null };

  async function runOneTool(toolCall: ToolCall): Promise<string> {
    await sink.event('tool_call', { id: toolCall.id, name: toolCall.name, input: toolCall.input });
    let text: string;
    try {
      const gate = await gateToolCall(
        { sessionId: input.sessionId, runId: input.runId, toolName: toolCall.name, input: toolCall.input, offeredTools: offered },
        { budget, settings: input.policy, approvals: input.approvals },
      );
      sink.usage(budget.totals());
      if (gate.allowed) {
        const tool = toolsByName.get(toolCall.name);
        text = tool ? await tool.run(toolCall.input, input.signal) : `Unknown tool: ${toolCall.name}`;
      } else {
        if (gate.pendingApprovalId) pendingApprovalIds.push(gate.pendingApprovalId);
        text = gate.text;
        if (gate.budgetExceeded) {
          await sink.event('tool_result', { id: toolCall.id, name: toolCall.name, content_preview: text.slice(0, 500) });
          throw new BudgetExceeded(gate.budgetExceeded);
        }
      }
    } catch (error) {
      if (error instanceof BudgetExceeded || input.signal.aborted) throw error;
      text = `Tool '${toolCall.name}' failed: ${errorMessage(error)}`;
    }
    text = streaks.annotate(toolCall.name, text);
    await sink.event('tool_result', { id: toolCall.id, name: toolCall.name, content_preview: text.slice(0, 500) });
    return text;
  }
}

function snakeTotals(budget: RunBudget): Record<string, number> {
  const totals = budget.totals();
  return { input_tokens: totals.inputTokens, output_tokens: totals.outputTokens, tool_calls: totals.toolCalls };
}
