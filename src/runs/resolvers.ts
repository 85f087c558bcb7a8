import type { Resolvers, RunStatus, WorkerMode } from '../generated/graphql.js';

const toRunStatus = (status: string): RunStatus => status.toUpperCase() as RunStatus;

export const runResolvers: Resolvers = {
  Query: {
    run: (_parent, { id }, { services }) => services.runs.get(id),
    runTrace: async (_parent, { runId, eventsSinceId, eventsLimit }, { services }) => ({
      run: await services.runs.get(runId),
      eventsSinceId: eventsSinceId ?? 0,
      eventsLimit: eventsLimit ?? 2000,
    }),
  },
  Mutation: {
    sendTurn: (_parent, { input }, { services }) => services.runs.startTurn(input),
    cancelRun: (_parent, { id }, { services }) => services.runs.cancel(id),
  },
  Run: {
    status: (run) => toRunStatus(run.status),
    workerMode: (run) => run.workerMode.toUpperCase() as WorkerMode,
    totalTokens: (run) => run.inputTokens + run.outputTokens,
    session: (run, _args, { services }) => services.sessions.get(run.sessionId),
    pendingApprovals: (run, _args, { services }) => services.approvals.listByIds(run.pendingApprovalIds),
    events: (run, { sinceId, limit }, { services }) => services.events.listForRun(run.id, sinceId ?? 0, limit),
    artifacts: (run, _args, { services }) => services.artifacts.listForRun(run.id),
  },
  TurnResult: {
    runId: ({ run }) => run.id,
    status: ({ run }) => toRunStatus(run.status),
    reply: ({ run }) => run.response ?? '',
    error: ({ run }) => run.error,
    pendingApprovalIds: ({ run }) => run.pendingApprovalIds,
    totalTokens: ({ run }) => run.inputTokens + run.outputTokens,
    toolCalls: ({ run }) => run.toolCalls,
    reused: ({ reused }) => reused,
    run: ({ run }) => run,
  },
  CancelRunResult: {
    runId: ({ run }) => run.id,
  },
  RunTrace: {
    events: ({ run, eventsSinceId, eventsLimit }, _args, { services }) => services.events.listForRun(run.id, eventsSinceId, eventsLimit),
    artifacts: ({ run }, _args, { services }) => services.artifacts.listForRun(run.id),
    approvals: ({ run }, _args, { services }) => services.approvals.listForRun(run.id),
    usage: ({ run }) => ({
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
      totalTokens: run.inputTokens + run.outputTokens,
      toolCalls: run.toolCalls,
    }),
    provider: ({ run }) => run.provider,
    model: ({ run }) => run.model,
    modelPrompt: ({ run }) => run.modelPrompt,
    systemPrompt: ({ run }) => run.systemPrompt,
  },
};
