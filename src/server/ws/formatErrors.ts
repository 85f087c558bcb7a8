import { GraphQLError } from 'graphql';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../context.js';
import { logUnexpected, toPublicError } from '../errors.js';

export interface FormattedError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions: { code: string };
}

/**
 * The formatted form of errors for the WebSocket path, which Apollo's formatError never sees:
 * the same masking as over HTTP, unexpected errors logged with the subscription's request id.
 */
export function formatErrors(errors: readonly unknown[], context: RequestContext | undefined, log: Logger): FormattedError[] {
  return errors.map((error) => {
    const { public: shown, unexpected } = toPublicError(error);
    if (unexpected) logUnexpected(log, error, context?.requestId ?? 'ws');
    const located = error instanceof GraphQLError ? error : null;
    return { message: shown.message, ...(located?.path ? { path: located.path } : {}), extensions: { code: shown.code } };
  });
}
