import type { ApprovalStatus, Resolvers } from '../generated/graphql.js';
import { toConnection } from '../server/graphql/connection.js';

export const approvalResolvers: Resolvers = {
  Query: {
    approvals: async (_parent, { status, sessionId, first, after }, { services }) =>
      toConnection(await services.approvals.list({ status, sessionId }, first, after)),
  },
  Mutation: {
    decideApproval: (_parent, { input }, { services }) => services.approvals.decide(input),
  },
  Approval: {
    status: (approval) => approval.status.toUpperCase() as ApprovalStatus,
    toolInput: (approval) => approval.toolInput,
  },
};
