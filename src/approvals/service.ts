import type { ApprovalStore } from '../agent/governance/gate.js';
import type { Approval, Prisma } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { conflict, notFound } from '../errors.js';
import { clampPageSize, decodeCursor, MAX_PAGE_SIZE, toPage, type Page } from '../pagination.js';
import type { Signals } from '../signals.js';
import type { ApprovalRepository } from './repository.js';

export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  note?: string | null;
}

export class ApprovalService {
  constructor(
    private readonly repository: ApprovalRepository,
    private readonly signals: Signals,
  ) {}

  find(id: string): Promise<Approval | null> {
    return this.repository.findById(id);
  }

  async list(
    filter: { status?: string | null; sessionId?: string | null },
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<Approval>> {
    const size = clampPageSize(first, 200);
    const rows = await this.repository.list(
      { status: filter.status ?? 'pending', sessionId: filter.sessionId ? filter.sessionId : null },
      size,
      decodeCursor(after),
    );
    return toPage(rows, size);
  }

  /** The approval store one run's tool gate uses: decisions of its session, new pending approvals. */
  storeFor(): ApprovalStore {
    return {
      latestDecision: (sessionId, fingerprint) => this.repository.latestDecision(sessionId, fingerprint),
      createPending: async (input) => {
        const approval = await this.repository.create({
          id: newId(),
          sessionId: input.sessionId,
          runId: input.runId,
          toolName: input.toolName,
          toolInput: (input.toolInput ?? {}) as Prisma.InputJsonValue,
          fingerprint: input.fingerprint,
          reason: input.reason,
          status: 'pending',
        });
        await this.signals.publish({ kind: 'approval', approvalId: approval.id, sessionId: approval.sessionId });
        return approval.id;
      },
    };
  }

  listByIds(ids: string[]): Promise<Approval[]> {
    return this.repository.listByIds(ids);
  }

  countPendingForRun(runId: string): Promise<number> {
    return this.repository.countPendingForRun(runId);
  }

  markResumed(runId: string, resumedRunId: string): Promise<void> {
    return this.repository.markResumed(runId, resumedRunId);
  }

  listForRun(runId: string): Promise<Approval[]> {
    return this.repository.listForRun(runId, MAX_PAGE_SIZE);
  }

  /**
   * A decision applies once. Repeating the same decision changes nothing and succeeds; a
   * contradicting one is a conflict (decision 16).
   */
  async decide(decision: ApprovalDecision): Promise<Approval> {
    const status = decision.approved ? 'approved' : 'rejected';
    const decided = await this.repository.decideIfPending(decision.approvalId, status, decision.note ?? '');
    if (decided) {
      await this.signals.publish({ kind: 'approval', approvalId: decided.id, sessionId: decided.sessionId });
      return decided;
    }
    const current = await this.repository.findById(decision.approvalId);
    if (!current) throw notFound(`Unknown approval_id '${decision.approvalId}'.`);
    if (current.status === status) return current;
    throw conflict(`Approval '${current.id}' was already ${current.status}; a contradicting decision is not allowed.`);
  }
}
