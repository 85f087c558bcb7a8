import type http from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { bearerMatches } from './auth.js';
import type { RequestContext } from './context.js';
import { queryLimitRules } from './graphql/limits.js';
import { formatErrors } from './ws/formatErrors.js';
import { SharedDelivery } from './ws/sharedDelivery.js';

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

/**
 * graphql-ws on /graphql, the same port as HTTP. This path bypasses Apollo's plugins, so it
 * applies the service's auth, query limits and error masking itself. Subscriptions whose result
 * depends only on the streamed item (sessionEvents with plain event fields) are executed once
 * per item and share the serialised frame (ws/sharedDelivery.ts); the protocol itself stays
 * graphql-ws's own.
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
  const delivery = new SharedDelivery(log);
  const server = useServer<Record<string, unknown> | undefined>(
    {
      schema,
      subscribe: (args: ExecutionArgs) => delivery.subscribe(args),
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
        const args: ExecutionArgs = { schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined, contextValue: context };
        delivery.route(args, { socket: ctx.extra.socket, request: ctx.extra.request, id, context });
        return args;
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
