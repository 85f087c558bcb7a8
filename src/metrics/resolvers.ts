import type { Resolvers } from '../generated/graphql.js';

export const metricsResolvers: Resolvers = {
  Query: {
    metrics: (_parent, _args, { services }) => services.metrics.snapshot(),
    health: () => ({ status: 'ok' }),
  },
};
