import type { Database } from '../db/client.js';
import type { Approval } from '../generated/prisma/client.js';
import { afterCursorWhere, type KeysetCursor } from '../pagination.js';

export class ApprovalRepository {
  constructor(private readonly db: Database) {}

  findById(id: string): Promise<Approval | null> {
    return this.db.approval.findUnique({ where: { id } });
  }

  /** Newest first; one row more than `size`. */
  list(filter: { status: string; sessionId: string | null }, size: number, after: KeysetCursor | null): Promise<Approval[]> {
    return this.db.approval.findMany({
      where: { status: filter.status, ...(filter.sessionId ? { sessionId: filter.sessionId } : {}), ...afterCursorWhere(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }

  listByIds(ids: string[]): Promise<Approval[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.approval.findMany({ where: { id: { in: ids } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  listForRun(runId: string, limit: number): Promise<Approval[]> {
    return this.db.approval.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: limit });
  }

  /** Decides a pending approval; returns null when it was not pending (or does not exist). */
  async decideIfPending(id: string, status: 'approved' | 'rejected', note: string): Promise<Approval | null> {
    const updated = await this.db.approval.updateMany({
      where: { id, status: 'pending' },
      data: { status, decidedAt: new Date(), decisionNote: note },
    });
    return updated.count === 1 ? this.findById(id) : null;
  }
}
