// The governance policy: for one tool call, allow it, deny it, or ask a reviewer first.
// Rule for rule the reference's policy (reference-behaviour.md §4, "Policy rules"), with the input
// fields read through Python's `int()` / `str()` semantics (src/python/strings.ts) so that edge
// cases decide the same way. One deliberate difference, in the spirit of decisions.md item 18 and reference
// §15.25: the blocked-SQL-fragment test also sees through whitespace runs and SQL comments (see
// `blockedSqlFragment`).

import { pyIntOr, pyStr, pyStrip, pyTruthy, PY_WHITESPACE_RUN } from '../../python/strings.js';
import { fieldsOf, toolAction } from './toolInput.js';

/** The policy knobs settings expose (a subset of `config.governance`). */
export interface PolicySettings {
  /** Scratchpad executions estimated above this many seconds need approval (default 90). */
  maxEstimatedSecondsWithoutApproval: number;
  /** Connector queries with a larger `limit` are denied (default 10000). */
  connectorMaxQueryLimit: number;
  /** Whether a SELECT without " where " or " limit " needs approval (default true). */
  connectorRequireWhereOrLimit: boolean;
}

export type PolicyDecision =
  | { decision: 'allow' }
  | { decision: 'deny'; reason: string }
  | { decision: 'approval'; reason: string };

/** Packages `scratchpad install` refuses, compared lowercased. Fixed, as in the reference. */
export const BLOCKED_PACKAGES: ReadonlySet<string> = new Set(['torch-nightly', 'tensorflow-gpu']);

/** SQL fragments refused in any connector call, in the order they are reported. Fixed. */
export const BLOCKED_SQL_FRAGMENTS: readonly string[] = ['drop table', 'truncate table', 'alter table'];

/** A connector row limit when the input has none, or one `int()` cannot read. */
export const DEFAULT_CONNECTOR_LIMIT = 1000n;

// The reference has two more connector flags, fixed in code and not exposed by settings: writes are
// allowed, and they need approval. They are kept as constants so the other outcomes stay visible.
const CONNECTOR_WRITES_ALLOWED: boolean = true;
const CONNECTOR_WRITES_NEED_APPROVAL: boolean = true;

const ALLOW: PolicyDecision = { decision: 'allow' };

function deny(reason: string): PolicyDecision {
  return { decision: 'deny', reason };
}

function approval(reason: string): PolicyDecision {
  return { decision: 'approval', reason };
}

/** A block comment (closed, or open to the end of the text) or a `--` line comment. */
const SQL_COMMENT = /\/\*[\s\S]*?(?:\*\/|$)|--[^\n]*/g;

/** An innermost block comment: one that holds no other `/*`. */
const INNERMOST_BLOCK_COMMENT = /\/\*(?:(?!\/\*)[\s\S])*?\*\//g;

/**
 * The text without comments, nested block comments included: PostgreSQL nests them, so
 * `drop/* /* *\/ *\/table` is `drop table` there, while a flat scan would leave `drop *\/table`.
 */
function withoutSqlComments(text: string): string {
  let current = text;
  for (;;) {
    const next = current.replace(INNERMOST_BLOCK_COMMENT, ' ');
    if (next === current) break;
    current = next;
  }
  return current.replace(SQL_COMMENT, ' ');
}

/**
 * The first blocked fragment (in `BLOCKED_SQL_FRAGMENTS` order) that `query` contains, or null.
 * `query` is the reference's view of the query: `str(query).strip().lower()`.
 *
 * Deliberate difference from the reference: it tests plain substrings only, so `drop  table`
 * (two spaces), `drop\ntable` and `drop` + a block comment + `table` get through. Here a fragment
 * also matches (1) once every whitespace run is one space, (2) once comments are removed too, and
 * (3) once nested block comments (PostgreSQL's) are removed from the inside out. The
 * comment removal ignores string literals (a `--` inside quotes is cut too), which is why it is an
 * additional view and not a replacement: this check refuses everything the reference refuses, and
 * more. When several fragments match, the first in the fixed order is reported (the reference's
 * choice depended on set iteration order).
 */
export function blockedSqlFragment(query: string): string | null {
  if (query === '') return null;
  const views = [
    query.replace(PY_WHITESPACE_RUN, ' '),
    query.replace(SQL_COMMENT, ' ').replace(PY_WHITESPACE_RUN, ' '),
    withoutSqlComments(query).replace(PY_WHITESPACE_RUN, ' '),
  ];
  return BLOCKED_SQL_FRAGMENTS.find((fragment) => views.some((view) => view.includes(fragment))) ?? null;
}

function evaluateScratchpad(input: unknown, settings: PolicySettings): PolicyDecision {
  const fields = fieldsOf(input);
  const action = toolAction(input);
  if (action === 'install') {
    const packages = fields.packages;
    if (Array.isArray(packages)) {
      const blocked = packages.filter((entry: unknown) => BLOCKED_PACKAGES.has(pyStr(entry).toLowerCase()));
      if (blocked.length > 0) {
        return deny(`Package(s) blocked by policy: ${blocked.map((entry: unknown) => pyStr(entry)).join(', ')}`);
      }
    }
    return ALLOW;
  }
  if (action === 'exec') {
    const estimate = pyIntOr(fields.estimated_execution_time_seconds, 0n);
    const threshold = settings.maxEstimatedSecondsWithoutApproval;
    if (estimate > threshold) {
      return approval(
        `Long-running scratchpad execution requires approval (estimate=${estimate}s, threshold=${threshold}s).`,
      );
    }
    return ALLOW;
  }
  return ALLOW;
}

function evaluateConnector(input: unknown, settings: PolicySettings): PolicyDecision {
  const fields = fieldsOf(input);
  const action = toolAction(input);
  // `str(input.get("query") or "").strip().lower()`
  const query = pyStrip(pyStr(pyTruthy(fields.query) ? fields.query : '')).toLowerCase();

  const fragment = blockedSqlFragment(query);
  if (fragment !== null) return deny(`Query contains blocked SQL fragment: ${fragment}`);

  if (action === 'query') {
    const limit = connectorLimit(input);
    const max = settings.connectorMaxQueryLimit;
    if (limit > max) return deny(`Query limit ${limit} exceeds policy max ${max}.`);
    if (
      settings.connectorRequireWhereOrLimit &&
      query.startsWith('select') &&
      !query.includes(' where ') &&
      !query.includes(' limit ')
    ) {
      return approval('Unbounded SELECT requires approval (missing WHERE/LIMIT).');
    }
    return ALLOW;
  }
  if (action === 'write') {
    if (!CONNECTOR_WRITES_ALLOWED) return deny('Connector write operations are disabled by policy.');
    if (CONNECTOR_WRITES_NEED_APPROVAL) return approval('Connector write requires approval.');
    return ALLOW;
  }
  // list, schema, sample and anything else. `sample` has no limit cap, as in the reference.
  return ALLOW;
}

/**
 * A connector call's row limit as the policy reads it: `int(input["limit"])`, 1000 when the key is
 * missing or `int()` cannot read it (before the tool's own `max(1, …)`).
 */
export function connectorLimit(input: unknown): bigint {
  return pyIntOr(fieldsOf(input).limit, DEFAULT_CONNECTOR_LIMIT);
}

/** Decides one tool call. Tools other than `scratchpad` and `connector` are always allowed. */
export function evaluateToolCall(toolName: string, input: unknown, settings: PolicySettings): PolicyDecision {
  if (toolName === 'scratchpad') return evaluateScratchpad(input, settings);
  if (toolName === 'connector') return evaluateConnector(input, settings);
  return ALLOW;
}
