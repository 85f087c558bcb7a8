import type { Database } from '../db/client.js';
import type { Approval, Prisma } from '../generated/prisma/client.js';
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

  async latestDecision(sessionId: string, fingerprint: string): Promise<'approved' | 'rejected' | null> {
    const decided = await this.db.approval.findFirst({
      where: { sessionId, fingerprint, status: { in: ['approved', 'rejected'] } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { status: true },
    });
    return decided ? (decided.status as 'approved' | 'rejected') : null;
  }

  create(approval: Omit<Approval, 'createdAt' | 'decidedAt' | 'decisionNote' | 'toolInput' | 'resumedRunId'> & { toolInput: Prisma.InputJsonValue }): Promise<Approval> {
    return this.db.approval.create({ data: approval });
  }

  countPendingForRun(runId: string): Promise<number> {
    return this.db.approval.count({ where: { runId, status: 'pending' } });
  }

  /** Records on every approval of `runId` which run continued the task after them. */
  async markResumed(runId: string, resumedRunId: string): Promise<void> {
    await this.db.approval.updateMany({ where: { runId }, data: { resumedRunId } });
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
