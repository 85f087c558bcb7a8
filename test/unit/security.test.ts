import { loadConfig } from '../../src/config.js';
import { assertSafeBinding } from '../../src/server/app.js';
import { bearerMatches } from '../../src/server/auth.js';

const config = (env: Record<string, string>) => loadConfig(env, { cwd: '/tmp', homeDir: '/tmp', readEnvFiles: false });

describe('binding to a non-loopback host', () => {
  it('is refused without tokens', () => {
    expect(() => assertSafeBinding(config({ ANTON_SERVICE_HOST: '0.0.0.0' }))).toThrow(
      'Refusing to listen on 0.0.0.0 without authentication: set ANTON_API_TOKENS, or ANTON_ALLOW_UNAUTHENTICATED=true to accept the risk.',
    );
  });
  it('is allowed with tokens or with the explicit opt-out', () => {
    expect(() => assertSafeBinding(config({ ANTON_SERVICE_HOST: '0.0.0.0', ANTON_API_TOKENS: 't' }))).not.toThrow();
    expect(() => assertSafeBinding(config({ ANTON_SERVICE_HOST: '0.0.0.0', ANTON_ALLOW_UNAUTHENTICATED: 'true' }))).not.toThrow();
  });
  it('loopback needs nothing', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(() => assertSafeBinding(config({ ANTON_SERVICE_HOST: host }))).not.toThrow();
  });
});

describe('bearer tokens', () => {
  it('accepts any configured token and nothing else', () => {
    expect(bearerMatches('Bearer a1', ['a1', 'b2'])).toBe(true);
    expect(bearerMatches('bearer b2', ['a1', 'b2'])).toBe(true);
    expect(bearerMatches('Bearer a', ['a1'])).toBe(false);
    expect(bearerMatches('Basic a1', ['a1'])).toBe(false);
    expect(bearerMatches(undefined, ['a1'])).toBe(false);
    expect(bearerMatches('Bearer ', ['a1'])).toBe(false);
  });
});
