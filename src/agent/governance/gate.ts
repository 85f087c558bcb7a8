// The tool gate: every tool call the model makes passes here before its tool runs (reference §4,
// "The tool gate"). It depends only on the small interfaces below; the run engine supplies an
// approval store backed by the approvals domain (style.md item 13: the agent imports no domain
// service).

import type { RunBudget } from './budget.js';
import { approvalFingerprint } from './fingerprint.js';
import { evaluateToolCall } from './policy.js';
import type { PolicySettings } from './policy.js';

/** What the gate needs from approvals. */
export interface ApprovalStore {
  /**
   * The status of the most recent (by creation time) decided approval in this session with this
   * fingerprint; pending approvals are ignored. Null when there is none.
   */
  latestDecision(sessionId: string, fingerprint: string): Promise<'approved' | 'rejected' | null>;
  /** Records a pending approval and returns its id. */
  createPending(input: {
    sessionId: string;
    runId: string;
    toolName: string;
    toolInput: unknown;
    fingerprint: string;
    reason: string;
  }): Promise<string>;
}

export interface ToolCall {
  sessionId: string;
  runId: string;
  toolName: string;
  input: unknown;
  /** The names of the tools this run offered the model. */
  offeredTools: ReadonlySet<string>;
}

export interface GateDeps {
  budget: RunBudget;
  settings: PolicySettings;
  approvals: ApprovalStore;
}

/**
 * `allowed: false` carries the tool-result text the model sees. `pendingApprovalId` is set when the
 * call created a pending approval (the run will end `approval_required`); `budgetExceeded` holds the
 * budget message when a budget was exceeded (decision 12: the loop then ends the run as failed).
 */
export type GateResult =
  | { allowed: true }
  | { allowed: false; text: string; pendingApprovalId?: string; budgetExceeded?: string };

export const REJECTED_BY_REVIEWER = 'Request rejected by reviewer.';

function rejected(message: string): { allowed: false; text: string } {
  return { allowed: false, text: `Rejected: ${message}` };
}

/**
 * Gates one tool call, in the reference's order: count it, check the budget, refuse a tool the run
 * did not offer (decision 17: no approval for a tool that cannot run), apply the policy, and for a
 * call that needs approval reuse the session's latest decision on the same fingerprint or create a
 * pending approval.
 */
export async function gateToolCall(call: ToolCall, deps: GateDeps): Promise<GateResult> {
  deps.budget.countToolCall();

  const overBudget = deps.budget.exceeded();
  if (overBudget !== null) return { ...rejected(overBudget), budgetExceeded: overBudget };

  if (!call.offeredTools.has(call.toolName)) {
    return rejected(`Tool '${call.toolName}' is not available in this run.`);
  }

  const verdict = evaluateToolCall(call.toolName, call.input, deps.settings);
  if (verdict.decision === 'allow') return { allowed: true };
  if (verdict.decision === 'deny') return rejected(verdict.reason);

  const fingerprint = approvalFingerprint(call.toolName, call.input);
  const prior = await deps.approvals.latestDecision(call.sessionId, fingerprint);
  if (prior === 'approved') return { allowed: true };
  if (prior === 'rejected') return rejected(REJECTED_BY_REVIEWER);

  const approvalId = await deps.approvals.createPending({
    sessionId: call.sessionId,
    runId: call.runId,
    toolName: call.toolName,
    toolInput: call.input,
    fingerprint,
    reason: verdict.reason,
  });
  return { allowed: false, text: `Pending approval ${approvalId}: ${verdict.reason}`, pendingApprovalId: approvalId };
}
