import type { Resolvers } from '../generated/graphql.js';
import { toConnection } from '../server/graphql/connection.js';

export const sessionResolvers: Resolvers = {
  Query: {
    session: (_parent, { id }, { services }) => services.sessions.get(id),
    sessions: async (_parent, { first, after }, { services }) => toConnection(await services.sessions.list(first, after)),
  },
  Mutation: {
    createSession: (_parent, { input }, { services }) => services.sessions.create(input),
  },
  Session: {
    runs: async (session, { first, after }, { services }) => toConnection(await services.runs.listForSession(session.id, first, after)),
    events: (session, { sinceId, limit }, { services }) => services.events.listForSession(session.id, sinceId ?? 0, limit),
  },
};
