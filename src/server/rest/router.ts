import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { execute, parse, subscribe, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ErrorCode, httpStatusFor, type ErrorCode as Code } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../context.js';
import { logUnexpected, toPublicError } from '../errors.js';
import type { RouteInput, RouteSpec, SseMessage, StreamSpec } from './routes.js';
import { parseJsonBody, parseQuery, RequestValidationError, type ValidationIssue } from './validation.js';

export interface RestOptions {
  schema: GraphQLSchema;
  routes: RouteSpec[];
  maxBodyBytes: number;
  createContext: (requestId?: string) => RequestContext;
  log: Logger;
  /** How often an idle event stream sends a comment line so proxies keep it open. */
  sseHeartbeatMs?: number;
  /** Open event streams, so that shutdown can end them. */
  openStreams: Set<() => void>;
}

/** How long a stream waits for a client that stopped reading before it gives up on it. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Resolves true once the response can take more, false when the client is gone or stuck. */
function drained(res: Response): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), DRAIN_TIMEOUT_MS);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
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
    const stream = route.stream ? prepareStream(route.stream, options.schema, route) : null;
    const handlers = [
      ...(route.body ? [express.raw({ type: () => true, limit: options.maxBodyBytes })] : []),
      (req: Request, res: Response, next: NextFunction) => {
        // A handler that fails outside its own error handling must not leave the request hanging
        // (or reject unhandled, which ends the process): express's error handler answers it.
        const answered = stream && wantsEventStream(req) ? handleStream(stream, req, res, options) : handle(route, document, req, res, options);
        answered.catch((error: unknown) => (res.headersSent ? res.end() : next(error)));
      },
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
      sendValidationError(res, error.issues);
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
    if (route.file) {
      const file = route.file(data);
      res.status(200).type(file.contentType);
      // The path was vetted by the operation; dotfiles are allowed because it lies under `.anton/`.
      res.sendFile(file.path, { dotfiles: 'allow', headers: { 'content-disposition': 'inline' } }, (error) => {
        if (error && !res.headersSent) sendError(res, error, context, options.log);
      });
      return;
    }
    if (route.text && req.accepts(['application/json', 'text/plain']) === 'text/plain') {
      res.status(200).type(route.text.contentType).send(route.text.render(data));
      return;
    }
    res.status(200).json(route.respond(data, input));
  } catch (error) {
    sendError(res, error, context, options.log);
  }
}

interface PreparedStream {
  spec: StreamSpec;
  document: DocumentNode;
}

function prepareStream(spec: StreamSpec, schema: GraphQLSchema, route: RouteSpec): PreparedStream {
  const document = parse(spec.operation);
  const problems = validate(schema, document);
  if (problems.length > 0) throw new Error(`REST stream ${route.path}: ${problems.map((p) => p.message).join('; ')}`);
  return { spec, document };
}

/** A client asks for the stream by preferring text/event-stream over JSON. */
function wantsEventStream(req: Request): boolean {
  return req.accepts(['application/json', 'text/event-stream']) === 'text/event-stream' && !!req.get('accept')?.includes('text/event-stream');
}

const sseFrame = (message: SseMessage): string =>
  `${message.id !== undefined ? `id: ${message.id}\n` : ''}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;

/**
 * Serves a route's subscription as Server-Sent Events: the same GraphQL subscription the
 * WebSocket path runs, framed as `id:` / `event:` / `data:`, with heartbeats, and closed when
 * the client goes away. Errors before the stream starts are ordinary REST errors.
 */
async function handleStream(stream: PreparedStream, req: Request, res: Response, options: RestOptions): Promise<void> {
  const context = options.createContext();
  res.setHeader('x-request-id', context.requestId);
  let query: Record<string, unknown>;
  try {
    query = stream.spec.query ? parseQuery(req.query as Record<string, unknown>, stream.spec.query) : {};
  } catch (error) {
    if (error instanceof RequestValidationError) sendValidationError(res, error.issues);
    else sendError(res, error, context, options.log);
    return;
  }
  const input: RouteInput = { params: req.params as Record<string, string>, query, body: {} };
  let result: Awaited<ReturnType<typeof subscribe>>;
  try {
    result = await subscribe({
      schema: options.schema,
      document: stream.document,
      variableValues: stream.spec.variables(input, req.get('last-event-id') ?? null),
      contextValue: context,
    });
  } catch (error) {
    sendError(res, error, context, options.log);
    return;
  }
  if (!(Symbol.asyncIterator in result)) {
    sendError(res, result.errors?.[0] ?? new Error('The stream could not start.'), context, options.log);
    return;
  }
  const iterator = result;
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('connection', 'keep-alive');
  // Tell buffering proxies (nginx) to pass events through at once.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.sseHeartbeatMs ?? 15_000);
  const stop = (): void => {
    clearInterval(heartbeat);
    options.openStreams.delete(stop);
    void iterator.return?.();
  };
  options.openStreams.add(stop);
  res.on('close', stop);
  try {
    for await (const next of iterator) {
      let frame: string;
      let last = false;
      if (next.errors?.length) {
        const { public: shown, unexpected } = toPublicError(next.errors[0]);
        if (unexpected) logUnexpected(options.log, next.errors[0], context.requestId);
        frame = sseFrame({ event: 'error', data: { detail: shown.message, code: shown.code } });
        last = true;
      } else {
        frame = sseFrame(stream.spec.format(next.data as Record<string, unknown>));
      }
      // Respect backpressure: while the client is not reading, stop pulling from the stream,
      // whose bounded queue then ends it as too slow instead of buffering without limit.
      if (!res.write(frame) && !(await drained(res))) break;
      if (last) break;
    }
  } catch (error) {
    const { public: shown } = toPublicError(error);
    logUnexpected(options.log, error, context.requestId);
    res.write(sseFrame({ event: 'error', data: { detail: shown.message, code: shown.code } }));
  } finally {
    stop();
    res.end();
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

/** How deep a 422 item's `input` is echoed; deeper containers are replaced by a placeholder. */
const MAX_ECHOED_DEPTH = 32;

/** A copy of `value` whose arrays and objects below `depth` levels are replaced by "...". */
function clipDepth(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth <= 0) return '...';
  if (Array.isArray(value)) return value.map((item) => clipDepth(item, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clipDepth(item, depth - 1)]));
}

/**
 * FastAPI's 422 `{"detail": issues}`. Items echo the offending input, which may be nested too
 * deeply for JSON.stringify's recursion (a 20,000-level array overflows the stack): such inputs
 * are echoed clipped instead.
 */
function sendValidationError(res: Response, issues: ValidationIssue[]): void {
  let text: string;
  try {
    text = JSON.stringify({ detail: issues });
  } catch {
    text = JSON.stringify({ detail: issues.map((item) => ({ ...item, input: clipDepth(item.input, MAX_ECHOED_DEPTH) })) });
  }
  res.status(422).type('application/json').send(text);
}
