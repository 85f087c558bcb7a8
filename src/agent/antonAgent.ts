import type { Config } from '../config.js';
import { RunBudget } from './governance/budget.js';
import { runToolLoop, type Tool } from './loop.js';
import type { LlmProvider } from './providers/types.js';
import { buildSystemPrompt } from './systemPrompt.js';
import { memorizeToolSpec, runMemorize, runUpdateContext, updateContextToolSpec } from './tools/context.js';
import type { SessionTools } from './tools/sessionTools.js';
import type { Agent, AgentOutcome, AgentRunInput } from './types.js';

export interface AntonAgentOptions {
  provider: LlmProvider;
  llm: Config['llm'];
  governance: Config['governance'];
  contextDir: string;
  connectorMode: string;
  /** Per-session scratchpads and the shared connector hub. */
  sessionTools: SessionTools;
}

/** What a completed run leaves for later runs to recall (decision 14). */
export function runSummary(message: string, reply: string): string {
  const task = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  const outcome = reply.replace(/\s+/g, ' ').trim().slice(0, 800);
  return `Task: ${task}\nOutcome: ${outcome || '(no reply)'}`;
}

/**
 * The data-analysis agent: recalls memory, builds the system prompt and the tools of the run,
 * and runs the tool loop against the configured planning model.
 */
export class AntonAgent implements Agent {
  constructor(private readonly options: AntonAgentOptions) {}

  async run(input: AgentRunInput): Promise<AgentOutcome> {
    const { options } = this;
    const { sink, ports } = input;
    const recall = await ports.memory.recall(input.message);
    await sink.event('memory_retrieval', { retrieved_count: recall.provenance.length, provenance: recall.provenance });
    const userMessage = recall.context ? `${input.message}\n\n${recall.context}` : input.message;
    const system = await buildSystemPrompt(
      {
        provider: options.llm.planningProvider,
        planningModel: options.llm.planningModel,
        codingModel: options.llm.codingModel,
        workspace: input.workspacePath,
        connectorMode: options.connectorMode,
      },
      options.contextDir,
    );
    sink.describe({ provider: options.llm.planningProvider, model: options.llm.planningModel, modelPrompt: userMessage, systemPrompt: system });

    const tools: Tool[] = [
      ...options.sessionTools.toolsFor(input.sessionId, input.workspacePath, input.sessionMetadata),
      { spec: updateContextToolSpec, run: (toolInput) => runUpdateContext(toolInput, options.contextDir) },
      { spec: memorizeToolSpec, run: (toolInput) => runMemorize(toolInput, ports.memory) },
    ];
    const budget = new RunBudget({
      maxTokensPerRun: options.governance.maxTokensPerRun,
      maxToolCallsPerRun: options.governance.maxToolCallsPerRun,
    });
    const outcome = await runToolLoop({
      provider: options.provider,
      model: options.llm.planningModel,
      system,
      userMessage,
      tools,
      conversation: ports.conversation,
      sink,
      signal: input.signal,
      budget,
      policy: {
        maxEstimatedSecondsWithoutApproval: options.governance.maxEstimatedSecondsWithoutApproval,
        connectorMaxQueryLimit: options.governance.connectorMaxQueryLimit,
        connectorRequireWhereOrLimit: options.governance.connectorRequireWhereOrLimit,
      },
      approvals: ports.approvals,
      sessionId: input.sessionId,
      runId: input.runId,
    });
    if (!outcome.error) await ports.memory.saveSummary(runSummary(input.message, outcome.reply));
    const totals = budget.totals();
    return {
      reply: outcome.reply,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      toolCalls: totals.toolCalls,
      pendingApprovalIds: outcome.pendingApprovalIds,
      error: outcome.error,
    };
  }

  close(): Promise<void> {
    return this.options.sessionTools.close();
  }
}
