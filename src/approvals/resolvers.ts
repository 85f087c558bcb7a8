import { AppError } from '../errors.js';
import { SUBSCRIBER_TOO_SLOW } from '../events/live.js';
import type { Approval } from '../generated/prisma/client.js';
import type { ApprovalStatus, Resolvers } from '../generated/graphql.js';
import { signalStream } from '../signalStream.js';

type ApprovalStreamItem = Approval | AppError;
import { toConnection } from '../server/graphql/connection.js';

export const approvalResolvers: Resolvers = {
  Query: {
    approvals: async (_parent, { status, sessionId, first, after }, { services }) =>
      toConnection(await services.approvals.list({ status, sessionId }, first, after)),
  },
  Mutation: {
    decideApproval: async (_parent, { input }, { services }) => {
      const approval = await services.approvals.decide(input);
      if (!input.resume) return approval;
      // Resuming goes through the runs service: approvals know nothing of runs' execution.
      const resumed = await services.runs.resumeAfterApprovals(approval.runId, services.approvals);
      return resumed ? { ...approval, resumedRunId: resumed.id } : approval;
    },
  },
  Subscription: {
    approvalUpdates: {
      subscribe: async (_parent, { sessionId }, { services }) => {
        if (sessionId) await services.sessions.get(sessionId);
        return signalStream<ApprovalStreamItem>(services.signals, {
          select: (signal) => (signal.kind === 'approval' && (!sessionId || signal.sessionId === sessionId) ? signal.approvalId : null),
          load: (id) => services.approvals.find(id),
          limit: 1000,
          onOverflow: () => new AppError(SUBSCRIBER_TOO_SLOW, 'The subscriber fell too far behind; subscribe again.'),
        });
      },
      resolve: (item: ApprovalStreamItem) => {
        if (item instanceof AppError) throw item;
        return item;
      },
    },
  },
  Approval: {
    status: (approval) => approval.status.toUpperCase() as ApprovalStatus,
    toolInput: (approval) => approval.toolInput,
  },
};
