import type http from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { bearerMatches } from './auth.js';
import type { RequestContext } from './context.js';
import { logUnexpected, toPublicError } from './errors.js';
import { queryLimitRules } from './graphql/limits.js';

export interface GraphqlWsOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  limits: { maxDepth: number; maxComplexity: number };
  apiTokens: readonly string[];
  maxSubscriptionsPerConnection: number;
  createContext: (requestId?: string) => RequestContext;
  log: Logger;
}

export interface GraphqlWsServer {
  /** Closes every socket (subscribers then resume elsewhere from their cursors) and stops accepting. */
  dispose(): Promise<void>;
}

/** The formatted form of errors for the WebSocket path, which Apollo's formatError never sees. */
function formatErrors(errors: readonly unknown[], context: RequestContext | undefined, log: Logger) {
  return errors.map((error) => {
    const { public: shown, unexpected } = toPublicError(error);
    if (unexpected) logUnexpected(log, error, context?.requestId ?? 'ws');
    const located = error instanceof GraphQLError ? error : null;
    return { message: shown.message, ...(located?.path ? { path: located.path } : {}), extensions: { code: shown.code } };
  });
}

/**
 * graphql-ws on /graphql, the same port as HTTP. This path bypasses Apollo's plugins, so it
 * applies the service's auth, query limits and error masking itself.
 */
export function attachGraphqlWs(options: GraphqlWsOptions): GraphqlWsServer {
  const { schema, log } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql' });
  const rules = [...specifiedRules, ...queryLimitRules(options.limits)];
  // Subscription ids are chosen by clients and unique per connection only.
  const contexts = new WeakMap<object, Map<string, RequestContext>>();
  const contextsOf = (ctx: object): Map<string, RequestContext> => {
    let map = contexts.get(ctx);
    if (!map) contexts.set(ctx, (map = new Map()));
    return map;
  };
  const server = useServer<Record<string, unknown> | undefined>(
    {
      schema,
      onConnect: (ctx) => {
        if (options.apiTokens.length === 0) return true;
        const fromPayload = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const header = typeof fromPayload === 'string' ? fromPayload : ctx.extra.request.headers.authorization;
        // false closes the socket with 4403 Forbidden, as graphql-ws documents for failed auth.
        return bearerMatches(header, options.apiTokens);
      },
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws has already registered this subscription's id when onSubscribe runs.
        if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`Too many subscriptions on one connection (the limit is ${options.maxSubscriptionsPerConnection}).`, {
              extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS },
            }),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query cannot be parsed.')];
        }
        const problems = validate(schema, document, rules);
        if (problems.length > 0) return problems;
        const context = options.createContext();
        contextsOf(ctx).set(id, context);
        return { schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined, contextValue: context };
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        return { ...result, errors: formatErrors(result.errors, contextsOf(ctx).get(id), log) };
      },
      onError: (ctx, id, _payload, errors) => formatErrors(errors, contextsOf(ctx).get(id), log),
      onComplete: (ctx, id) => {
        contextsOf(ctx).delete(id);
      },
    },
    wss,
  );
  return {
    dispose: async () => {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
