import { fieldsOf, toolAction } from '../../../src/agent/governance/toolInput.js';

describe('toolAction', () => {
  it('lowercases without stripping, and reads non-objects as empty', () => {
    expect(toolAction({ action: 'QuErY' })).toBe('query');
    expect(toolAction({ action: ' write' })).toBe(' write');
    expect(toolAction({})).toBe('');
    expect(toolAction({ action: null })).toBe('none');
    expect(toolAction('write')).toBe('');
  });
});

describe('fieldsOf', () => {
  it('reads an object as its fields and anything else as none', () => {
    expect(fieldsOf({ a: 1 })).toEqual({ a: 1 });
    expect(fieldsOf([1])).toEqual({});
    expect(fieldsOf(null)).toEqual({});
    expect(fieldsOf('a')).toEqual({});
  });
});
