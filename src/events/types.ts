import type { Event } from '../generated/prisma/client.js';

export interface EventPage {
  events: Event[];
  /** The id of the last event returned, or the cursor given when there were none. */
  nextSinceId: number;
  hasMore: boolean;
}

export interface NewEvent {
  sessionId: string;
  runId: string;
  eventType: string;
  payload: Record<string, unknown>;
}
