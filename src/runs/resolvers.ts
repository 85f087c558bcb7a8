import { AppError, badInput } from '../errors.js';
import type { Run } from '../generated/prisma/client.js';
import type { Resolvers, RunStatus, WorkerMode } from '../generated/graphql.js';
import { signalStream } from '../signalStream.js';
import { SUBSCRIBER_TOO_SLOW } from '../events/live.js';

type RunStreamItem = Run | AppError;
const STREAM_LIMIT = 1000;

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
  Subscription: {
    runUpdates: {
      subscribe: async (_parent, { runId, sessionId }, { services }) => {
        if (!runId && !sessionId) throw badInput('runUpdates needs a runId or a sessionId.');
        if (runId) await services.runs.get(runId);
        if (sessionId) await services.sessions.get(sessionId);
        return signalStream<RunStreamItem>(services.signals, {
          select: (signal) => {
            if (signal.kind !== 'run-updated' && signal.kind !== 'finished') return null;
            if (runId && signal.runId !== runId) return null;
            if (sessionId && signal.sessionId !== sessionId) return null;
            return signal.runId;
          },
          load: (id) => services.runs.find(id),
          initial: runId ? [runId] : [],
          limit: STREAM_LIMIT,
          onOverflow: () => new AppError(SUBSCRIBER_TOO_SLOW, 'The subscriber fell too far behind; subscribe again.'),
        });
      },
      resolve: (item: RunStreamItem) => {
        if (item instanceof AppError) throw item;
        return item;
      },
    },
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
