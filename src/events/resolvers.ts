import type { AppError } from '../errors.js';
import type { Resolvers } from '../generated/graphql.js';
import type { LiveItem } from './live.js';

type StreamPayload = LiveItem;

/** A stream that ended in failure surfaces its error as the field's error, then completes. */
function unwrapLive(item: StreamPayload): Exclude<LiveItem, { kind: 'failure' }> {
  if (item.kind === 'failure') throw item.error satisfies AppError;
  return item;
}

export const eventResolvers: Resolvers = {
  Event: {
    id: (event) => Number(event.id),
  },
  Subscription: {
    sessionEvents: {
      subscribe: async (_parent, { sessionId, sinceId, includeReplyDeltas }, { services }) => {
        await services.sessions.get(sessionId);
        return services.live.stream(sessionId, sinceId ?? 0, includeReplyDeltas ?? false);
      },
      resolve: (item: StreamPayload) => {
        const live = unwrapLive(item);
        return live.kind === 'event' ? live.event : live;
      },
    },
  },
  SessionStreamItem: {
    __resolveType: (item) => ('kind' in item && item.kind === 'reply' ? 'ReplyDelta' : 'Event'),
  },
};
