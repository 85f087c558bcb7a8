import type { Resolvers } from '../generated/graphql.js';

export const eventResolvers: Resolvers = {
  Event: {
    id: (event) => Number(event.id),
  },
};
