import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isConnectionFailure } from '../db/errors.js';
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
  const original = unwrapResolverError(error);
  if (isAppError(original)) return { public: fromAppError(original), unexpected: false };
  if (isConnectionFailure(original)) {
    return { public: { message: 'The database is unavailable; try again shortly.', code: ErrorCode.SERVICE_UNAVAILABLE }, unexpected: true };
  }
  if (original instanceof GraphQLError && !original.originalError) {
    const code = typeof original.extensions.code === 'string' ? original.extensions.code : 'GRAPHQL_VALIDATION_FAILED';
    return { public: { message: original.message, code }, unexpected: false };
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
