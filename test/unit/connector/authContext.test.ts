import { authContextFrom } from '../../../src/agent/tools/connector/types.js';

describe('authContextFrom', () => {
  it('reads a full auth context from session metadata', () => {
    expect(
      authContextFrom({
        auth_context: { user_id: 'u-1', org_id: 'o-1', roles: ['analyst', 'admin'], attributes: { region: 'eu' } },
        other: 1,
      }),
    ).toEqual({ user_id: 'u-1', org_id: 'o-1', roles: ['analyst', 'admin'], attributes: { region: 'eu' } });
  });

  it('means no context when it is missing, empty or not an object', () => {
    expect(authContextFrom({})).toBeNull();
    expect(authContextFrom({ auth_context: {} })).toBeNull();
    expect(authContextFrom({ auth_context: null })).toBeNull();
    expect(authContextFrom({ auth_context: 'u-1' })).toBeNull();
    expect(authContextFrom({ auth_context: ['u-1'] })).toBeNull();
    expect(authContextFrom(null)).toBeNull();
    expect(authContextFrom('metadata')).toBeNull();
    expect(authContextFrom([{ auth_context: { user_id: 'u' } }])).toBeNull();
  });

  it('defaults and converts fields as Python str() would', () => {
    expect(authContextFrom({ auth_context: { user_id: 42, roles: 'admin', attributes: ['x'] } })).toEqual({
      user_id: '42',
      org_id: '',
      roles: [],
      attributes: {},
    });
    expect(authContextFrom({ auth_context: { user_id: null, org_id: true, roles: ['a', 1, null, 'b'] } })).toEqual({
      user_id: '',
      org_id: 'True',
      roles: ['a', 'b'],
      attributes: {},
    });
  });

  it('copies attributes, so later changes to the metadata do not leak in', () => {
    const metadata = { auth_context: { user_id: 'u', attributes: { team: 'x' } } };
    const context = authContextFrom(metadata);
    metadata.auth_context.attributes.team = 'y';
    expect(context?.attributes).toEqual({ team: 'x' });
  });
});
