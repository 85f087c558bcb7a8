import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** What we remember of a file to notice later that it was created or changed. */
export interface FileState {
  size: number;
  mtimeMs: number;
}

export type FolderSnapshot = Map<string, FileState>;

/** Every regular file below `dir` (absolute paths); a missing folder is an empty snapshot. */
export async function snapshotFolder(dir: string): Promise<FolderSnapshot> {
  const files: FolderSnapshot = new Map();
  async function walk(current: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        try {
          const info = await stat(full);
          files.set(full, { size: info.size, mtimeMs: info.mtimeMs });
        } catch {
          // removed while we looked: nothing to record
        }
      }
    }
  }
  await walk(dir);
  return files;
}

/** Files that are new in `after`, or whose size or modification time changed, in path order. */
export function changedFiles(before: FolderSnapshot, after: FolderSnapshot): string[] {
  const changed: string[] = [];
  for (const [file, state] of after) {
    const previous = before.get(file);
    if (!previous || previous.size !== state.size || previous.mtimeMs !== state.mtimeMs) changed.push(file);
  }
  return changed.sort();
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** The extension without its dot, or `file` when there is none (`sub/README`). */
export function artifactKind(file: string): string {
  const extension = path.extname(file);
  return extension.length > 1 ? extension.slice(1) : 'file';
}
