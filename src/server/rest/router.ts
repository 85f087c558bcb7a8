import express, { type Request, type Response, type Router } from 'express';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ErrorCode, httpStatusFor, type ErrorCode as Code } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../context.js';
import { logUnexpected, toPublicError } from '../errors.js';
import type { RouteInput, RouteSpec } from './routes.js';
import { parseJsonBody, parseQuery, RequestValidationError, type ValidationIssue } from './validation.js';

export interface RestOptions {
  schema: GraphQLSchema;
  routes: RouteSpec[];
  maxBodyBytes: number;
  createContext: (requestId?: string) => RequestContext;
  log: Logger;
}

/** `/sessions/{session_id}/turn` → `/sessions/:session_id/turn`. */
export const toExpressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Serves the route table: validates the request as FastAPI would (422s), executes the route's
 * GraphQL operation in-process against the same schema as /graphql, and maps the result or the
 * error (`{"detail": …}` with the status of its code).
 */
export function createRestRouter(options: RestOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  for (const route of options.routes) {
    const document = parse(route.operation);
    const problems = validate(options.schema, document);
    if (problems.length > 0) throw new Error(`REST route ${route.method} ${route.path}: ${problems.map((p) => p.message).join('; ')}`);
    const handlers = [
      ...(route.body ? [express.raw({ type: () => true, limit: options.maxBodyBytes })] : []),
      (req: Request, res: Response) => void handle(route, document, req, res, options),
    ];
    if (route.method === 'GET') router.get(toExpressPath(route.path), ...handlers);
    else router.post(toExpressPath(route.path), ...handlers);
  }
  return router;
}

async function handle(route: RouteSpec, document: DocumentNode, req: Request, res: Response, options: RestOptions): Promise<void> {
  const context = options.createContext();
  res.setHeader('x-request-id', context.requestId);
  let input: RouteInput;
  try {
    input = readInput(route, req);
  } catch (error) {
    if (error instanceof RequestValidationError) {
      res.status(422).json({ detail: error.issues });
      return;
    }
    sendError(res, error, context, options.log);
    return;
  }
  try {
    const result = await execute({ schema: options.schema, document, variableValues: route.variables(input), contextValue: context });
    const firstError = result.errors?.[0];
    if (firstError || !result.data) {
      sendError(res, firstError ?? new Error('Operation returned no data.'), context, options.log);
      return;
    }
    const data = result.data as Record<string, unknown>;
    if (route.text && req.accepts(['application/json', 'text/plain']) === 'text/plain') {
      res.status(200).type(route.text.contentType).send(route.text.render(data));
      return;
    }
    res.status(200).json(route.respond(data, input));
  } catch (error) {
    sendError(res, error, context, options.log);
  }
}

function readInput(route: RouteSpec, req: Request): RouteInput {
  const issues: ValidationIssue[] = [];
  let query: Record<string, unknown> = {};
  let body: Record<string, unknown> = {};
  // FastAPI reports query problems before body problems, all in one 422.
  try {
    query = route.query ? parseQuery(req.query as Record<string, unknown>, route.query) : {};
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    issues.push(...error.issues);
  }
  if (route.body) {
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
      body = parseJsonBody(raw, route.body.shape, { bodyRequired: route.body.required });
    } catch (error) {
      if (!(error instanceof RequestValidationError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  return { params: req.params as Record<string, string>, query, body };
}

function sendError(res: Response, error: unknown, context: RequestContext, log: Logger): void {
  const { public: shown, unexpected } = toPublicError(error);
  if (unexpected) logUnexpected(log, error, context.requestId);
  const status = httpStatusFor[shown.code as Code] ?? (shown.code === ErrorCode.INTERNAL_SERVER_ERROR ? 500 : 400);
  res.status(status).json({ detail: shown.message });
}
