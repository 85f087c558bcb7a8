import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { RequestContext } from '../context.js';
import { logUnexpected, toPublicError } from '../errors.js';
import { queryLimitRules } from './limits.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: http.Server;
  limits: { maxDepth: number; maxComplexity: number };
  /** Extra plugins (the WebSocket server's drain, for instance). */
  plugins?: ApolloServerPlugin<RequestContext>[];
}

/** Logs each unexpected error once, with the request id the masked error carries. */
const logUnexpectedErrors: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (toPublicError(error).unexpected) logUnexpected(contextValue.log, error, contextValue.requestId);
        }
      },
      async willSendResponse({ response, contextValue }) {
        response.http.headers.set('x-request-id', contextValue.requestId);
      },
    };
  },
};

/**
 * Subscriptions are served over graphql-ws (and SSE), not over plain HTTP: Apollo would run a
 * subscription document as if it were a query, through resolvers made for streamed items, and
 * fail with an internal error. Refused during validation instead, as the client's mistake.
 */
const noSubscriptionsOverHttp: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation === 'subscription') {
      context.reportError(
        new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.', {
          nodes: [operation],
          extensions: { code: 'BAD_REQUEST' },
        }),
      );
    }
    return false;
  },
});

export function createApollo(options: ApolloOptions): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema: options.schema,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    validationRules: [...queryLimitRules(options.limits), noSubscriptionsOverHttp],
    formatError: (formatted, error) => {
      const { public: shown } = toPublicError(error);
      return { message: shown.message, locations: formatted.locations, path: formatted.path, extensions: { code: shown.code } };
    },
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }), logUnexpectedErrors, ...(options.plugins ?? [])],
  });
}
