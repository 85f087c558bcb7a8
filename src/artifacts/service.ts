import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { notFound } from '../errors.js';
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

  /**
   * The file behind an artifact, if it can be served: it still exists, and its real path (all
   * symlinks resolved) lies inside the session's workspace, so a download never escapes it.
   */
  async servableFile(runId: string, artifactId: string, workspacePath: string): Promise<ArtifactFile> {
    const unknown = notFound(`Unknown artifact_id '${artifactId}' for run '${runId}'.`);
    const artifact = await this.repository.find(runId, artifactId);
    if (!artifact) throw unknown;
    let real: string;
    let workspace: string;
    try {
      [real, workspace] = await Promise.all([realpath(artifact.path), realpath(workspacePath)]);
    } catch {
      throw notFound(`The file of artifact '${artifactId}' no longer exists.`);
    }
    const relative = path.relative(workspace, real);
    if (relative === '' || relative === '..' || relative.startsWith('..' + path.sep) || path.isAbsolute(relative)) throw unknown;
    const info = await stat(real);
    if (!info.isFile()) throw notFound(`The file of artifact '${artifactId}' no longer exists.`);
    return { artifactId, path: real, sizeBytes: info.size, contentType: contentTypeOf(artifact.kind) };
  }

  listForRun(runId: string): Promise<Artifact[]> {
    return this.repository.listForRun(runId, MAX_PAGE_SIZE);
  }
}

export interface ArtifactFile {
  artifactId: string;
  path: string;
  sizeBytes: number;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function contentTypeOf(kind: string): string {
  return CONTENT_TYPES[kind.toLowerCase()] ?? 'application/octet-stream';
}
