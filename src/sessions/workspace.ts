import { mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { badInput } from '../errors.js';

export interface WorkspacePolicy {
  /** Where sessions without a workspace_path work: the service home. */
  defaultPath: string;
  /** What relative paths resolve against. */
  cwd: string;
  /** When set, every workspace must lie inside it after `..` and symlinks are resolved. */
  root: string | null;
}

/** `~`-expands and resolves a requested workspace to an absolute path, as the reference does. */
export function resolveWorkspacePath(requested: string | null | undefined, policy: WorkspacePolicy): string {
  if (requested === null || requested === undefined || requested === '') return path.resolve(policy.defaultPath);
  let expanded = requested;
  if (expanded === '~' || expanded.startsWith('~/')) expanded = path.join(homedir(), expanded.slice(1));
  return path.resolve(policy.cwd, expanded);
}

/**
 * Resolves symlinks of the longest existing prefix of `target`, so that a path which does not
 * exist yet is still judged by where it would really be created.
 */
async function realpathOfNearestExisting(target: string): Promise<string> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

export async function assertInsideRoot(workspace: string, root: string | null): Promise<void> {
  if (root === null) return;
  const realRoot = await realpathOfNearestExisting(path.resolve(root));
  const realWorkspace = await realpathOfNearestExisting(workspace);
  const relative = path.relative(realRoot, realWorkspace);
  if (relative === '..' || relative.startsWith('..' + path.sep) || path.isAbsolute(relative)) {
    throw badInput(`Workspace path '${workspace}' is outside ANTON_WORKSPACES_ROOT.`);
  }
}

/** Creates the workspace with its `.anton/` and `.anton/output/` folders. */
export async function prepareWorkspace(workspace: string): Promise<void> {
  try {
    await mkdir(path.join(workspace, '.anton', 'output'), { recursive: true });
  } catch (error) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    const reason = typeof code === 'string' ? code : 'unknown error';
    throw badInput(`Workspace path '${workspace}' cannot be created (${reason}).`);
  }
}

export function outputDirOf(workspace: string): string {
  return path.join(workspace, '.anton', 'output');
}
