import { RunBudget } from '../../../src/agent/governance/budget.js';
import { approvalFingerprint } from '../../../src/agent/governance/fingerprint.js';
import { gateToolCall } from '../../../src/agent/governance/gate.js';
import type { ApprovalStore, GateDeps, ToolCall } from '../../../src/agent/governance/gate.js';
import type { PolicySettings } from '../../../src/agent/governance/policy.js';

type Status = 'pending' | 'approved' | 'rejected';

interface StoredApproval {
  id: string;
  sessionId: string;
  runId: string;
  toolName: string;
  toolInput: unknown;
  fingerprint: string;
  reason: string;
  status: Status;
}

/** The approvals domain reduced to a list, in creation order. */
class MemoryApprovals implements ApprovalStore {
  readonly rows: StoredApproval[] = [];

  async latestDecision(sessionId: string, fingerprint: string): Promise<'approved' | 'rejected' | null> {
    for (let i = this.rows.length - 1; i >= 0; i -= 1) {
      const row = this.rows[i];
      if (row && row.sessionId === sessionId && row.fingerprint === fingerprint && row.status !== 'pending') {
        return row.status;
      }
    }
    return null;
  }

  async createPending(input: Omit<StoredApproval, 'id' | 'status'>): Promise<string> {
    const id = `appr${String(this.rows.length + 1).padStart(8, '0')}`;
    this.rows.push({ ...input, id, status: 'pending' });
    return id;
  }

  decide(id: string, status: 'approved' | 'rejected'): void {
    const row = this.rows.find((candidate) => candidate.id === id);
    if (row) row.status = status;
  }
}

const settings: PolicySettings = {
  maxEstimatedSecondsWithoutApproval: 90,
  connectorMaxQueryLimit: 10000,
  connectorRequireWhereOrLimit: true,
};

const ALL_TOOLS: ReadonlySet<string> = new Set(['scratchpad', 'connector', 'update_context']);
const WRITE = { action: 'write', connector_id: 'warehouse', query: 'DELETE FROM users' };

function setup(limits = { maxTokensPerRun: 100000, maxToolCallsPerRun: 60 }): GateDeps & { approvals: MemoryApprovals } {
  return { budget: new RunBudget(limits), settings, approvals: new MemoryApprovals() };
}

function call(toolName: string, input: unknown, overrides: Partial<ToolCall> = {}): ToolCall {
  return { sessionId: 's1', runId: 'r1', toolName, input, offeredTools: ALL_TOOLS, ...overrides };
}

describe('gateToolCall', () => {
  it('allows a call the policy allows, and counts it', async () => {
    const deps = setup();
    await expect(gateToolCall(call('connector', { action: 'list' }), deps)).resolves.toEqual({ allowed: true });
    expect(deps.budget.toolCalls).toBe(1);
    expect(deps.approvals.rows).toHaveLength(0);
  });

  it('rejects a denied call with the policy reason, without an approval', async () => {
    const deps = setup();
    const result = await gateToolCall(call('scratchpad', { action: 'install', packages: ['Torch-Nightly'] }), deps);
    expect(result).toEqual({ allowed: false, text: 'Rejected: Package(s) blocked by policy: Torch-Nightly' });
    expect(deps.approvals.rows).toHaveLength(0);
    expect(deps.budget.toolCalls).toBe(1);
  });

  it('creates a pending approval with the fingerprint and reason', async () => {
    const deps = setup();
    const result = await gateToolCall(call('connector', WRITE), deps);
    expect(result).toEqual({
      allowed: false,
      text: 'Pending approval appr00000001: Connector write requires approval.',
      pendingApprovalId: 'appr00000001',
    });
    expect(deps.approvals.rows).toEqual([
      {
        id: 'appr00000001',
        sessionId: 's1',
        runId: 'r1',
        toolName: 'connector',
        toolInput: WRITE,
        fingerprint: 'df59d5ecc8db17d3c35114e4b79d52f092ba6419f97b4313b0ddf51bcbf372ee',
        reason: 'Connector write requires approval.',
        status: 'pending',
      },
    ]);
  });

  it('creates another pending approval for each undecided repeat', async () => {
    const deps = setup();
    await gateToolCall(call('connector', WRITE), deps);
    const second = await gateToolCall(call('connector', WRITE), deps);
    expect(second).toMatchObject({ allowed: false, pendingApprovalId: 'appr00000002' });
    expect(deps.approvals.rows).toHaveLength(2);
  });

  it('allows an identical call once approved, in any later run of the session', async () => {
    const deps = setup();
    await gateToolCall(call('connector', WRITE), deps);
    deps.approvals.decide('appr00000001', 'approved');
    const reordered = { query: 'DELETE FROM users', connector_id: 'warehouse', action: 'write' };
    await expect(gateToolCall(call('connector', reordered, { runId: 'r2' }), deps)).resolves.toEqual({ allowed: true });
    expect(deps.approvals.rows).toHaveLength(1);
  });

  it('rejects an identical call once rejected', async () => {
    const deps = setup();
    await gateToolCall(call('connector', WRITE), deps);
    deps.approvals.decide('appr00000001', 'rejected');
    await expect(gateToolCall(call('connector', WRITE), deps)).resolves.toEqual({
      allowed: false,
      text: 'Rejected: Request rejected by reviewer.',
    });
  });

  it('uses the latest decision', async () => {
    const deps = setup();
    await gateToolCall(call('connector', WRITE), deps);
    await gateToolCall(call('connector', WRITE), deps);
    deps.approvals.decide('appr00000001', 'rejected');
    deps.approvals.decide('appr00000002', 'approved');
    await expect(gateToolCall(call('connector', WRITE), deps)).resolves.toEqual({ allowed: true });
  });

  it('does not reuse a decision for a different input or another session', async () => {
    const deps = setup();
    await gateToolCall(call('connector', WRITE), deps);
    deps.approvals.decide('appr00000001', 'approved');
    const other = await gateToolCall(call('connector', { ...WRITE, query: 'DELETE FROM orders' }), deps);
    expect(other).toMatchObject({ allowed: false, pendingApprovalId: 'appr00000002' });
    const elsewhere = await gateToolCall(call('connector', WRITE, { sessionId: 's2' }), deps);
    expect(elsewhere).toMatchObject({ allowed: false, pendingApprovalId: 'appr00000003' });
    expect(deps.approvals.rows[2]?.fingerprint).toBe(approvalFingerprint('connector', WRITE));
  });

  it('passes the scratchpad approval reason through', async () => {
    const deps = setup();
    const result = await gateToolCall(call('scratchpad', { action: 'exec', estimated_execution_time_seconds: '120' }), deps);
    expect(result).toEqual({
      allowed: false,
      text: 'Pending approval appr00000001: Long-running scratchpad execution requires approval (estimate=120s, threshold=90s).',
      pendingApprovalId: 'appr00000001',
    });
  });

  it('refuses a tool the run did not offer, without consulting the policy or creating an approval', async () => {
    const deps = setup();
    const result = await gateToolCall(call('connector', WRITE, { offeredTools: new Set(['scratchpad']) }), deps);
    expect(result).toEqual({ allowed: false, text: "Rejected: Tool 'connector' is not available in this run." });
    expect(deps.approvals.rows).toHaveLength(0);
    expect(deps.budget.toolCalls).toBe(1);
  });

  it('rejects over the tool-call budget, counting the rejected call', async () => {
    const deps = setup({ maxTokensPerRun: 100000, maxToolCallsPerRun: 2 });
    await gateToolCall(call('update_context', {}), deps);
    await gateToolCall(call('update_context', {}), deps);
    const third = await gateToolCall(call('connector', WRITE), deps);
    expect(third).toEqual({
      allowed: false,
      text: 'Rejected: Run tool-call budget exceeded (3 > 2).',
      budgetExceeded: 'Run tool-call budget exceeded (3 > 2).',
    });
    expect(deps.approvals.rows).toHaveLength(0);
    expect(deps.budget.toolCalls).toBe(3);
  });

  it('rejects over the token budget before anything else, even a tool not offered', async () => {
    const deps = setup({ maxTokensPerRun: 10, maxToolCallsPerRun: 60 });
    deps.budget.addUsage(8, 5);
    const result = await gateToolCall(call('nope', {}, { offeredTools: new Set() }), deps);
    expect(result).toEqual({
      allowed: false,
      text: 'Rejected: Run token budget exceeded (13 > 10).',
      budgetExceeded: 'Run token budget exceeded (13 > 10).',
    });
  });
});
