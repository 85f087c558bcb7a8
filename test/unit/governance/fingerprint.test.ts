import { approvalFingerprint } from '../../../src/agent/governance/fingerprint.js';
import { pythonJsonDumps } from '../../../src/python/json.js';

describe('approvalFingerprint', () => {
  it('matches the reference test vector for a connector write', () => {
    const input = { action: 'write', connector_id: 'warehouse', query: 'DELETE FROM users' };
    expect(pythonJsonDumps({ name: 'connector', input })).toBe(
      '{"input": {"action": "write", "connector_id": "warehouse", "query": "DELETE FROM users"}, "name": "connector"}',
    );
    expect(approvalFingerprint('connector', input)).toBe(
      'df59d5ecc8db17d3c35114e4b79d52f092ba6419f97b4313b0ddf51bcbf372ee',
    );
  });

  it('matches the reference test vector with a non-ASCII query and unsorted keys', () => {
    const input = { query: "SELECT 'é'", action: 'query', limit: 5 };
    expect(pythonJsonDumps({ name: 'connector', input })).toBe(
      '{"input": {"action": "query", "limit": 5, "query": "SELECT \'\\u00e9\'"}, "name": "connector"}',
    );
    expect(approvalFingerprint('connector', input)).toBe(
      'e32f4b250497aff39d60c2b1726c1b18819fe07d444678fb32611ad6d493aca5',
    );
  });

  it('ignores key order but not values', () => {
    const a = approvalFingerprint('connector', { action: 'query', limit: 5, query: 'x' });
    expect(approvalFingerprint('connector', { query: 'x', limit: 5, action: 'query' })).toBe(a);
    expect(approvalFingerprint('connector', { query: 'x', limit: 6, action: 'query' })).not.toBe(a);
    expect(approvalFingerprint('scratchpad', { query: 'x', limit: 5, action: 'query' })).not.toBe(a);
  });

  it('treats a missing input as null', () => {
    expect(approvalFingerprint('tool', undefined)).toBe(approvalFingerprint('tool', null));
  });
});
