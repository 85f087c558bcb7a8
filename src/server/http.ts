import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import type { RequestContext } from './context.js';
import { requireBearer } from './auth.js';
import { toExpressPath } from './rest/router.js';
import type { RouteSpec } from './rest/routes.js';
import type { Router } from 'express';
import type { Logger } from '../logger.js';
import { errorMessage } from '../errors.js';

export interface HttpAppOptions {
  apollo: ApolloServer<RequestContext>;
  rest: Router;
  routes: RouteSpec[];
  openApi: () => Record<string, unknown>;
  apiTokens: readonly string[];
  maxBodyBytes: number;
  createContext: (requestId?: string) => RequestContext;
  log: Logger;
}

/** The express application: auth, GraphQL at /graphql, the REST table, and FastAPI-shaped 404/405/413s. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(lenientPercentDecoding);
  app.use(requireBearer(options.apiTokens));
  app.get('/openapi.json', (_req, res) => void res.json(options.openApi()));
  app.use(
    '/graphql',
    express.json({ limit: options.maxBodyBytes }),
    expressMiddleware(options.apollo, {
      context: async ({ req }) => options.createContext(req.get('x-request-id') || undefined),
    }),
  );
  const notAllowed = methodNotAllowed(options.routes);
  // Express answers OPTIONS by itself; the reference (FastAPI without CORS) answers 405.
  app.use((req, res, next) => (req.method === 'OPTIONS' ? notAllowed(req, res, next) : options.rest(req, res, next)));
  app.use(notAllowed);
  app.use((_req, res) => void res.status(404).json({ detail: 'Not Found' }));
  app.use(errorHandler(options.log));
  return app;
}

/**
 * A `%` that does not start a valid escape stays a literal `%`, as uvicorn leaves it, so
 * `/runs/%ZZ` is an unknown run (404) rather than an undecodable path (Express's 400).
 */
const lenientPercentDecoding: RequestHandler = (req, _res, next) => {
  if (req.url.includes('%')) req.url = req.url.replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
  next();
};

/** A known path with another method is 405 with an Allow header, as FastAPI answers. */
function methodNotAllowed(routes: RouteSpec[]): RequestHandler {
  const known = routes.map((route) => ({
    method: route.method,
    pattern: new RegExp('^' + toExpressPath(route.path).replace(/:\w+/g, '[^/]+') + '/?$'),
  }));
  known.push({ method: 'GET', pattern: /^\/openapi\.json$/ });
  return (req, res, next) => {
    const allowed = known.filter((route) => route.pattern.test(req.path)).map((route) => route.method);
    if (allowed.length === 0) {
      next();
      return;
    }
    res.status(405).setHeader('Allow', [...new Set(allowed)].join(', ')).json({ detail: 'Method Not Allowed' });
  };
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
    const type = typeof error === 'object' && error !== null && 'type' in error ? String(error.type) : '';
    if (type === 'entity.too.large' || status === 413) {
      const message = 'Request body is too large.';
      if (req.path === '/graphql') res.status(413).json({ errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      else res.status(413).json({ detail: message });
      return;
    }
    if (type === 'entity.parse.failed') {
      const message = 'The request body is not valid JSON.';
      if (req.path === '/graphql') res.status(400).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
      else res.status(400).json({ detail: message });
      return;
    }
    if (status >= 400 && status < 500) {
      // e.g. body-parser's 415 for an unsupported charset or content encoding, 400 for a body
      // that does not inflate: GraphQL clients get a GraphQL-shaped error, as for every other 4xx.
      if (req.path === '/graphql') {
        const code = status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
        res.status(status).json({ errors: [{ message: errorMessage(error), extensions: { code } }] });
      } else {
        res.status(status).json({ detail: errorMessage(error) });
      }
      return;
    }
    log.error('unhandled HTTP error', { error, path: req.path });
    res.status(500).json({ detail: 'Internal server error.' });
  };
}
