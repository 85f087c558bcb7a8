import type { Database } from '../db/client.js';
import type { Learning, SessionSummary } from '../generated/prisma/client.js';

export class MemoryRepository {
  constructor(private readonly db: Database) {}

  recentSummaries(limit: number): Promise<SessionSummary[]> {
    return this.db.sessionSummary.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
  }

  /** The learnings recall considers: the most recently updated ones, never the whole table. */
  recentLearnings(limit: number): Promise<Learning[]> {
    return this.db.learning.findMany({ orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }], take: limit });
  }

  async saveSummary(summary: Omit<SessionSummary, 'createdAt'>): Promise<void> {
    await this.db.sessionSummary.upsert({
      where: { runId: summary.runId },
      create: summary,
      update: { summary: summary.summary },
    });
  }

  /** A learning with the same slug is extended, as the reference appends to its topic file. */
  async saveLearning(learning: { id: string; topic: string; summary: string; content: string }): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const existing = await tx.learning.findUnique({ where: { id: learning.id } });
      if (!existing) {
        await tx.learning.create({ data: learning });
        return;
      }
      await tx.learning.update({
        where: { id: learning.id },
        data: { summary: learning.summary || existing.summary, content: `${existing.content}\n---\n${learning.content}` },
      });
    });
  }
}
