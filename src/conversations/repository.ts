import type { Database, SqlPool } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { ConversationPort } from '../agent/ports.js';
import type { ChatMessage } from '../agent/providers/types.js';

export interface StoredMessage {
  role: string;
  content: unknown;
}

const NEWEST_MESSAGES = `
SELECT role, content FROM (
  SELECT id, role, content FROM conversation_messages WHERE session_id = $1 ORDER BY id DESC LIMIT $2) newest
ORDER BY id`;

export class ConversationRepository {
  constructor(
    private readonly db: Database,
    private readonly sql: SqlPool,
  ) {}

  /**
   * The newest `limit` messages of the session, oldest first. Over `pg` directly: every turn
   * reads up to HISTORY_LIMIT rows here, and Prisma's per-row cost made turns slow down as a
   * session's history grew.
   */
  async load(sessionId: string, limit: number): Promise<StoredMessage[]> {
    const result = await this.sql.query<StoredMessage>(NEWEST_MESSAGES, [sessionId, limit]);
    return result.rows;
  }

  async append(sessionId: string, runId: string, message: StoredMessage): Promise<void> {
    await this.db.conversationMessage.create({
      data: { sessionId, runId, role: message.role, content: message.content as Prisma.InputJsonValue },
    });
  }
}

/** How many messages of a session's past a turn sends to the model at most. */
export const HISTORY_LIMIT = 400;

export function conversationPortFor(repository: ConversationRepository, sessionId: string, runId: string): ConversationPort {
  return {
    load: async () => {
      const messages = (await repository.load(sessionId, HISTORY_LIMIT)).map((message) => message as ChatMessage);
      // A cut history must start at a user's own message: a leading tool result without the
      // assistant's tool call before it is refused by every provider.
      const start = messages.findIndex((message) => message.role === 'user' && typeof message.content === 'string');
      return start === -1 ? [] : messages.slice(start);
    },
    append: (message) => repository.append(sessionId, runId, message),
  };
}
