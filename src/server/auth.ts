import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** True when `header` is `Bearer <one of tokens>`; compares digests in constant time. */
export function bearerMatches(header: string | undefined, tokens: readonly string[]): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const offered = digest(match[1].trim());
  let found = false;
  for (const token of tokens) found = timingSafeEqual(offered, digest(token)) || found;
  return found;
}

/**
 * With tokens configured, every endpoint but /health needs `Authorization: Bearer <token>`.
 * GraphQL clients get a GraphQL-shaped error, REST clients the reference's `{"detail"}`.
 */
export function requireBearer(tokens: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (tokens.length === 0 || req.path === '/health' || bearerMatches(req.get('authorization'), tokens)) {
      next();
      return;
    }
    res.status(401).setHeader('WWW-Authenticate', 'Bearer');
    if (req.path === '/graphql') {
      res.json({ errors: [{ message: 'Not authenticated.', extensions: { code: 'UNAUTHENTICATED' } }] });
    } else {
      res.json({ detail: 'Not authenticated.' });
    }
  };
}
