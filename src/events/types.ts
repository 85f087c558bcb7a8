import type { Event } from '../generated/prisma/client.js';

export interface EventPage {
  events: Event[];
  /** The id of the last event returned, or the cursor given when there were none. */
  nextSinceId: number;
  hasMore: boolean;
}

export interface NewEvent {
  sessionId: string;
  /** Null for events that belong to no run (a schedule that failed to trigger). */
  runId: string | null;
  eventType: string;
  payload: Record<string, unknown>;
}
