import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isConnectionFailure, isUnstorableText } from '../db/errors.js';
import { ErrorCode, isAppError, MASKED_MESSAGE, type AppError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface PublicError {
  message: string;
  code: string;
}

/**
 * What a client may see of an error, the same for every transport: our own errors keep their
 * message and code, GraphQL's own errors (syntax, validation, variable coercion) pass through,
 * an unreachable database is "service unavailable", and anything else is masked.
 */
export function toPublicError(error: unknown): { public: PublicError; unexpected: boolean } {
  // GraphQL wraps what resolvers and scalars throw (located errors, Apollo's own error classes);
  // the innermost error decides what the client may see.
  let original = unwrapResolverError(error);
  while (original instanceof GraphQLError && original.originalError) original = original.originalError;
  if (isAppError(original)) return { public: fromAppError(original), unexpected: false };
  if (isUnstorableText(original)) {
    return { public: { message: 'Text values must not contain NUL (\\u0000) characters.', code: ErrorCode.BAD_USER_INPUT }, unexpected: false };
  }
  if (isConnectionFailure(original)) {
    return { public: { message: 'The database is unavailable; try again shortly.', code: ErrorCode.SERVICE_UNAVAILABLE }, unexpected: true };
  }
  // Parsing fails only on the client's document. A document nested deeply enough overflows the
  // recursive parser's stack: that RangeError is the client's mistake too, not an internal error.
  if (error instanceof GraphQLError && error.extensions.code === 'GRAPHQL_PARSE_FAILED' && original instanceof RangeError) {
    return { public: { message: 'The query is nested too deeply to be parsed.', code: 'GRAPHQL_PARSE_FAILED' }, unexpected: false };
  }
  if (original instanceof GraphQLError) {
    // Syntax, validation, variable coercion and query limits: the client's own mistakes.
    const outer = error instanceof GraphQLError ? error : original;
    // Apollo re-labels every validation error GRAPHQL_VALIDATION_FAILED; a code of our own (a
    // query limit, a scalar's BAD_USER_INPUT) is the more precise one.
    const code = original.extensions.code ?? outer.extensions.code;
    return { public: { message: outer.message, code: typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED' }, unexpected: false };
  }
  return { public: { message: MASKED_MESSAGE, code: ErrorCode.INTERNAL_SERVER_ERROR }, unexpected: true };
}

function fromAppError(error: AppError): PublicError {
  return { message: error.message, code: error.code };
}

/** Logs an unexpected error with the request id that the client receives. */
export function logUnexpected(log: Logger, error: unknown, requestId: string): void {
  log.error('unexpected error', { requestId, error: unwrapResolverError(error) });
}
