import type { Session } from '../generated/prisma/client.js';
import { badInput, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { clampPageSize, decodeCursor, toPage, type Page } from '../pagination.js';
import type { SessionRepository } from './repository.js';
import { assertInsideRoot, prepareWorkspace, resolveWorkspacePath, type WorkspacePolicy } from './workspace.js';

export interface CreateSessionInput {
  sessionId?: string | null;
  workspacePath?: string | null;
  metadata?: unknown;
}

/** Client-chosen ids travel in URL paths, so they must be addressable there. */
const CLIENT_ID_PATTERN = /^[^\s/?#%\\]{1,200}$/;

export class SessionService {
  constructor(
    private readonly repository: SessionRepository,
    private readonly workspaces: WorkspacePolicy,
  ) {}

  async create(input: CreateSessionInput): Promise<Session> {
    const id = input.sessionId ? input.sessionId : newId();
    if (!CLIENT_ID_PATTERN.test(id)) {
      throw badInput('session_id must be 1 to 200 characters without whitespace, /, ?, #, % or \\.');
    }
    const metadata = input.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw badInput('metadata must be a JSON object.');
    const workspacePath = resolveWorkspacePath(input.workspacePath, this.workspaces);
    await assertInsideRoot(workspacePath, this.workspaces.root);
    // The folder first: a session must never exist without the workspace it points at.
    await prepareWorkspace(workspacePath);
    return this.repository.insert({ id, workspacePath, metadata });
  }

  async get(id: string): Promise<Session> {
    const session = await this.repository.findById(id);
    if (!session) throw notFound(`Unknown session_id '${id}'.`);
    return session;
  }

  find(id: string): Promise<Session | null> {
    return this.repository.findById(id);
  }

  async list(first: number | null | undefined, after: string | null | undefined): Promise<Page<Session>> {
    const size = clampPageSize(first, 50);
    return toPage(await this.repository.listPage(size, decodeCursor(after)), size);
  }
}
