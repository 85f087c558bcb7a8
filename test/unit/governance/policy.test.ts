import { blockedSqlFragment, connectorLimit, evaluateToolCall } from '../../../src/agent/governance/policy.js';
import type { PolicySettings } from '../../../src/agent/governance/policy.js';

const defaults: PolicySettings = {
  maxEstimatedSecondsWithoutApproval: 90,
  connectorMaxQueryLimit: 10000,
  connectorRequireWhereOrLimit: true,
};

function settings(overrides: Partial<PolicySettings> = {}): PolicySettings {
  return { ...defaults, ...overrides };
}

const UNBOUNDED = 'Unbounded SELECT requires approval (missing WHERE/LIMIT).';

// The reference's own policy tests (reference-behaviour.md §14, tests 32–37).
describe('reference policy tests', () => {
  it('32: a connector write requires approval by default', () => {
    const verdict = evaluateToolCall('connector', { action: 'write', connector_id: 'w', query: 'DELETE FROM users' }, defaults);
    expect(verdict).toEqual({ decision: 'approval', reason: 'Connector write requires approval.' });
  });

  it('33: a long scratchpad run requires approval (threshold 30, estimate 90)', () => {
    const verdict = evaluateToolCall(
      'scratchpad',
      { action: 'exec', estimated_execution_time_seconds: 90 },
      settings({ maxEstimatedSecondsWithoutApproval: 30 }),
    );
    expect(verdict.decision).toBe('approval');
  });

  it('34: a blocked package install is denied, without approval', () => {
    const verdict = evaluateToolCall('scratchpad', { action: 'install', packages: ['tensorflow-gpu'] }, defaults);
    expect(verdict).toEqual({ decision: 'deny', reason: 'Package(s) blocked by policy: tensorflow-gpu' });
  });

  it('35: the query limit policy is enforced (max 100, limit 200)', () => {
    const verdict = evaluateToolCall(
      'connector',
      { action: 'query', connector_id: 'c', query: 'SELECT * FROM t WHERE x = 1', limit: 200 },
      settings({ connectorMaxQueryLimit: 100 }),
    );
    expect(verdict.decision).toBe('deny');
    expect(verdict.decision === 'deny' && verdict.reason).toContain('exceeds policy');
  });

  it('36: an unbounded SELECT requires approval', () => {
    const verdict = evaluateToolCall('connector', { action: 'query', connector_id: 'c', query: 'SELECT * FROM users' }, defaults);
    expect(verdict).toEqual({ decision: 'approval', reason: UNBOUNDED });
  });

  it('37: a blocked SQL fragment is denied', () => {
    const verdict = evaluateToolCall(
      'connector',
      { action: 'query', connector_id: 'c', query: 'SELECT 1 WHERE 1; DROP TABLE users' },
      defaults,
    );
    expect(verdict.decision).toBe('deny');
    expect(verdict.decision === 'deny' && verdict.reason).toContain('blocked SQL fragment');
  });
});

describe('scratchpad install', () => {
  it('matches blocked packages case-insensitively and reports them as given, ", "-joined', () => {
    const verdict = evaluateToolCall(
      'scratchpad',
      { action: 'INSTALL', packages: ['pandas', 'Torch-Nightly', 'numpy', 'TENSORFLOW-GPU'] },
      defaults,
    );
    expect(verdict).toEqual({ decision: 'deny', reason: 'Package(s) blocked by policy: Torch-Nightly, TENSORFLOW-GPU' });
  });

  it('allows other packages, and a packages field that is not a list', () => {
    expect(evaluateToolCall('scratchpad', { action: 'install', packages: ['pandas', 'torch'] }, defaults)).toEqual({
      decision: 'allow',
    });
    expect(evaluateToolCall('scratchpad', { action: 'install', packages: 'torch-nightly' }, defaults)).toEqual({
      decision: 'allow',
    });
    expect(evaluateToolCall('scratchpad', { action: 'install' }, defaults)).toEqual({ decision: 'allow' });
  });

  it('does not strip package names', () => {
    expect(evaluateToolCall('scratchpad', { action: 'install', packages: [' torch-nightly'] }, defaults)).toEqual({
      decision: 'allow',
    });
  });
});

describe('scratchpad exec', () => {
  const exec = (estimate: unknown, threshold = 90) =>
    evaluateToolCall(
      'scratchpad',
      estimate === undefined ? { action: 'exec' } : { action: 'exec', estimated_execution_time_seconds: estimate },
      settings({ maxEstimatedSecondsWithoutApproval: threshold }),
    );

  it('needs approval above the threshold, with the estimate and threshold in the reason', () => {
    expect(exec(91)).toEqual({
      decision: 'approval',
      reason: 'Long-running scratchpad execution requires approval (estimate=91s, threshold=90s).',
    });
  });

  it('allows an estimate equal to the threshold', () => {
    expect(exec(90)).toEqual({ decision: 'allow' });
  });

  it('reads the estimate with Python int() semantics', () => {
    expect(exec(91.9, 90)).toEqual({
      decision: 'approval',
      reason: 'Long-running scratchpad execution requires approval (estimate=91s, threshold=90s).',
    });
    expect(exec(90.9, 90)).toEqual({ decision: 'allow' });
    expect(exec('91', 90).decision).toBe('approval');
    expect(exec('91.5', 0)).toEqual({ decision: 'allow' }); // unparseable → 0, not above 0
    expect(exec(true, 0)).toEqual({
      decision: 'approval',
      reason: 'Long-running scratchpad execution requires approval (estimate=1s, threshold=0s).',
    });
    expect(exec('soon', 0)).toEqual({ decision: 'allow' });
    expect(exec(null, 0)).toEqual({ decision: 'allow' });
    expect(exec(undefined, 0)).toEqual({ decision: 'allow' });
  });

  it('prints huge estimates exactly', () => {
    expect(exec('123456789012345678901234567890')).toEqual({
      decision: 'approval',
      reason:
        'Long-running scratchpad execution requires approval (estimate=123456789012345678901234567890s, threshold=90s).',
    });
  });

  it('allows other scratchpad actions', () => {
    expect(evaluateToolCall('scratchpad', { action: 'view', estimated_execution_time_seconds: 9999 }, defaults)).toEqual({
      decision: 'allow',
    });
  });
});

describe('connector blocked SQL fragments', () => {
  it.each(['list', 'schema', 'sample', 'write', 'query', 'anything', undefined])(
    'deny whatever the action (%p)',
    (action) => {
      const input = action === undefined ? { query: 'truncate table t' } : { action, query: 'truncate table t' };
      expect(evaluateToolCall('connector', input, defaults)).toEqual({
        decision: 'deny',
        reason: 'Query contains blocked SQL fragment: truncate table',
      });
    },
  );

  it('is case-insensitive and a plain substring test (as in the reference)', () => {
    expect(evaluateToolCall('connector', { action: 'write', query: 'Alter Table t add c int' }, defaults)).toEqual({
      decision: 'deny',
      reason: 'Query contains blocked SQL fragment: alter table',
    });
    expect(evaluateToolCall('connector', { action: 'query', query: "SELECT 'backdrop tables' WHERE 1" }, defaults)).toEqual({
      decision: 'deny',
      reason: 'Query contains blocked SQL fragment: drop table',
    });
  });

  it('reports the first match in the fixed order drop, truncate, alter', () => {
    expect(blockedSqlFragment('alter table a; truncate table b; drop table c')).toBe('drop table');
    expect(blockedSqlFragment('alter table a; truncate table b')).toBe('truncate table');
    expect(blockedSqlFragment('alter table a')).toBe('alter table');
    expect(blockedSqlFragment('')).toBeNull();
  });

  // Deliberate difference: the reference lets all of these through.
  it.each([
    ['drop  table users', 'drop table'],
    ['drop\ntable users', 'drop table'],
    ['drop\t \r\n table users', 'drop table'],
    ['drop/**/table users', 'drop table'],
    ['drop /* hidden */ table users', 'drop table'],
    ['truncate -- comment\n table users', 'truncate table'],
    ['alter/* a\nmultiline comment */table t', 'alter table'],
  ])('also sees through whitespace runs and comments: %p', (query, fragment) => {
    expect(blockedSqlFragment(query)).toBe(fragment);
  });

  it('goes through the policy for an evasive query', () => {
    expect(evaluateToolCall('connector', { action: 'query', query: 'SELECT 1 LIMIT 1; DROP/**/TABLE users' }, defaults)).toEqual({
      decision: 'deny',
      reason: 'Query contains blocked SQL fragment: drop table',
    });
  });

  it('still denies what the reference denies when comment removal would hide it', () => {
    expect(blockedSqlFragment("select '--' as x; drop table users")).toBe('drop table');
  });

  it('reads a non-string query through str() and ignores falsy ones', () => {
    expect(evaluateToolCall('connector', { action: 'query', query: ['DROP TABLE x'] }, defaults)).toEqual({
      decision: 'deny',
      reason: 'Query contains blocked SQL fragment: drop table',
    });
    expect(evaluateToolCall('connector', { action: 'query', query: 0 }, defaults)).toEqual({ decision: 'allow' });
    expect(evaluateToolCall('connector', { action: 'query', query: null }, defaults)).toEqual({ decision: 'allow' });
  });
});

describe('connector query limit', () => {
  const query = (limit: unknown, max = 100) =>
    evaluateToolCall(
      'connector',
      limit === undefined
        ? { action: 'query', query: 'select a from t where b' }
        : { action: 'query', query: 'select a from t where b', limit },
      settings({ connectorMaxQueryLimit: max }),
    );

  it('denies a limit above the policy max with the reference text', () => {
    expect(query(200)).toEqual({ decision: 'deny', reason: 'Query limit 200 exceeds policy max 100.' });
    expect(query(100)).toEqual({ decision: 'allow' });
  });

  it('defaults to 1000 when the limit is missing or unparseable', () => {
    expect(query(undefined)).toEqual({ decision: 'deny', reason: 'Query limit 1000 exceeds policy max 100.' });
    expect(query('many')).toEqual({ decision: 'deny', reason: 'Query limit 1000 exceeds policy max 100.' });
    expect(query(null)).toEqual({ decision: 'deny', reason: 'Query limit 1000 exceeds policy max 100.' });
    expect(query('150.5')).toEqual({ decision: 'deny', reason: 'Query limit 1000 exceeds policy max 100.' });
    expect(query(undefined, 10000)).toEqual({ decision: 'allow' });
  });

  it('reads the limit with Python int() semantics', () => {
    expect(query(100.9)).toEqual({ decision: 'allow' });
    expect(query(101.2)).toEqual({ decision: 'deny', reason: 'Query limit 101 exceeds policy max 100.' });
    expect(query(' 150 ')).toEqual({ decision: 'deny', reason: 'Query limit 150 exceeds policy max 100.' });
    expect(query(true)).toEqual({ decision: 'allow' });
    expect(query(0)).toEqual({ decision: 'allow' });
    expect(query(-5)).toEqual({ decision: 'allow' });
    expect(query('99999999999999999999')).toEqual({
      decision: 'deny',
      reason: 'Query limit 99999999999999999999 exceeds policy max 100.',
    });
  });

  it('exposes the limit reading for the connector tool', () => {
    expect(connectorLimit({ limit: '7' })).toBe(7n);
    expect(connectorLimit({})).toBe(1000n);
    expect(connectorLimit(null)).toBe(1000n);
  });

  it('checks the limit before the unbounded-SELECT rule', () => {
    expect(
      evaluateToolCall('connector', { action: 'query', query: 'select * from t', limit: 200 }, settings({ connectorMaxQueryLimit: 100 })),
    ).toEqual({ decision: 'deny', reason: 'Query limit 200 exceeds policy max 100.' });
  });

  it('does not cap sample', () => {
    expect(evaluateToolCall('connector', { action: 'sample', table: 't', limit: 10 ** 9 }, defaults)).toEqual({
      decision: 'allow',
    });
  });
});

describe('connector unbounded SELECT', () => {
  const q = (text: string, require = true) =>
    evaluateToolCall('connector', { action: 'Query', query: text }, settings({ connectorRequireWhereOrLimit: require }));

  it('needs approval for a SELECT without " where " or " limit "', () => {
    expect(q('SELECT * FROM users')).toEqual({ decision: 'approval', reason: UNBOUNDED });
    expect(q('SELECT 1')).toEqual({ decision: 'approval', reason: UNBOUNDED });
    expect(q('  \n select count(*) from t  ')).toEqual({ decision: 'approval', reason: UNBOUNDED });
  });

  it('accepts " where " or " limit ", space-delimited only', () => {
    expect(q('SELECT * FROM users WHERE id = 1')).toEqual({ decision: 'allow' });
    expect(q('SELECT * FROM users LIMIT 10')).toEqual({ decision: 'allow' });
    expect(q('SELECT * FROM users\nWHERE id = 1')).toEqual({ decision: 'approval', reason: UNBOUNDED });
    expect(q('SELECT * FROM users LIMIT\t10')).toEqual({ decision: 'approval', reason: UNBOUNDED });
  });

  it('never applies to queries that do not start with select', () => {
    expect(q('WITH x AS (SELECT * FROM users) SELECT * FROM x')).toEqual({ decision: 'allow' });
    expect(q('(SELECT * FROM users)')).toEqual({ decision: 'allow' });
    expect(q('')).toEqual({ decision: 'allow' });
  });

  it('is off when connectorRequireWhereOrLimit is false', () => {
    expect(q('SELECT * FROM users', false)).toEqual({ decision: 'allow' });
  });
});

describe('other connector actions and other tools', () => {
  it('allows list, schema and sample', () => {
    for (const action of ['list', 'schema', 'sample', 'LIST']) {
      expect(evaluateToolCall('connector', { action, connector_id: 'c', table: 't' }, defaults)).toEqual({
        decision: 'allow',
      });
    }
  });

  it('needs approval for write whatever the query (no blocked fragment)', () => {
    expect(evaluateToolCall('connector', { action: 'WRITE', query: 'insert into t values (1)' }, defaults)).toEqual({
      decision: 'approval',
      reason: 'Connector write requires approval.',
    });
  });

  it('allows every other tool, and matches tool names exactly', () => {
    expect(evaluateToolCall('update_context', { anything: true }, defaults)).toEqual({ decision: 'allow' });
    expect(evaluateToolCall('request_secret', {}, defaults)).toEqual({ decision: 'allow' });
    expect(evaluateToolCall('Connector', { action: 'write', query: 'x' }, defaults)).toEqual({ decision: 'allow' });
  });

  it('reads an input that is not an object as empty', () => {
    expect(evaluateToolCall('connector', 'drop table x', defaults)).toEqual({ decision: 'allow' });
    expect(evaluateToolCall('scratchpad', null, defaults)).toEqual({ decision: 'allow' });
  });
});
