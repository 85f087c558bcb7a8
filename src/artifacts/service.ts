import { stat } from 'node:fs/promises';
import type { Artifact } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { MAX_PAGE_SIZE } from '../pagination.js';
import type { ArtifactRepository } from './repository.js';
import { artifactKind, changedFiles, sha256OfFile, snapshotFolder, type FolderSnapshot } from './snapshot.js';

/**
 * Attributes files to the run that wrote them (decision 13): the engine snapshots the session's
 * output folder once it holds the session, and records what is new or modified afterwards.
 */
export class ArtifactService {
  constructor(private readonly repository: ArtifactRepository) {}

  snapshot(outputDir: string): Promise<FolderSnapshot> {
    return snapshotFolder(outputDir);
  }

  async recordChanges(runId: string, outputDir: string, before: FolderSnapshot): Promise<Artifact[]> {
    const after = await snapshotFolder(outputDir);
    const artifacts: Artifact[] = [];
    const createdAt = new Date();
    for (const file of changedFiles(before, after)) {
      try {
        const [info, sha256] = await Promise.all([stat(file), sha256OfFile(file)]);
        artifacts.push({ id: newId(), runId, kind: artifactKind(file), path: file, createdAt, sizeBytes: BigInt(info.size), sha256 });
      } catch {
        // deleted between the listing and the hash: it is not an artifact of this run any more
      }
    }
    await this.repository.insertMany(artifacts);
    return artifacts;
  }

  listForRun(runId: string): Promise<Artifact[]> {
    return this.repository.listForRun(runId, MAX_PAGE_SIZE);
  }
}
