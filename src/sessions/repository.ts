import type { Database } from '../db/client.js';
import type { Session } from '../generated/prisma/client.js';
import { conflict } from '../errors.js';
import { afterCursorWhere, type KeysetCursor } from '../pagination.js';
import { isUniqueViolation } from '../db/errors.js';

export class SessionRepository {
  constructor(private readonly db: Database) {}

  async insert(input: { id: string; workspacePath: string; metadata: object }): Promise<Session> {
    try {
      return await this.db.session.create({ data: input });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`Session '${input.id}' already exists.`);
      throw error;
    }
  }

  findById(id: string): Promise<Session | null> {
    return this.db.session.findUnique({ where: { id } });
  }

  /** Newest first; one row more than `size` so the caller can tell whether more exist. */
  listPage(size: number, after: KeysetCursor | null): Promise<Session[]> {
    return this.db.session.findMany({
      where: afterCursorWhere(after),
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }
}
