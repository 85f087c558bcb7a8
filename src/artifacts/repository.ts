import type { Database } from '../db/client.js';
import type { Artifact } from '../generated/prisma/client.js';

export class ArtifactRepository {
  constructor(private readonly db: Database) {}

  async insertMany(artifacts: Artifact[]): Promise<void> {
    if (artifacts.length > 0) await this.db.artifact.createMany({ data: artifacts });
  }

  find(runId: string, id: string): Promise<Artifact | null> {
    return this.db.artifact.findFirst({ where: { id, runId } });
  }

  /** Oldest first, at most `limit`. */
  listForRun(runId: string, limit: number): Promise<Artifact[]> {
    return this.db.artifact.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { path: 'asc' }], take: limit });
  }
}
