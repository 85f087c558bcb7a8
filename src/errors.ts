// The one error vocabulary of the service. Domain code throws these; every transport maps them
// the same way: GraphQL puts `code` in `extensions.code`, REST turns it into a status and
// `{"detail": message}`. Clients depend on the codes, never on the classes.

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** A live subscriber fell too far behind and was closed; it resumes from its cursor. */
  SUBSCRIBER_TOO_SLOW: 'SUBSCRIBER_TOO_SLOW',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status of each code in REST answers (GraphQL over HTTP answers 200 with `errors`, as usual). */
export const httpStatusFor: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  QUERY_TOO_COMPLEX: 400,
  SERVICE_UNAVAILABLE: 503,
  SUBSCRIBER_TOO_SLOW: 409,
  TOO_MANY_SUBSCRIPTIONS: 429,
  INTERNAL_SERVER_ERROR: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

export const badInput = (message: string): AppError => new AppError(ErrorCode.BAD_USER_INPUT, message);
export const notFound = (message: string): AppError => new AppError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string): AppError => new AppError(ErrorCode.CONFLICT, message);

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The message every transport shows for an error that is not an AppError. */
export const MASKED_MESSAGE = 'Internal server error.';

/**
 * The message of anything thrown. Duck-typed rather than `instanceof Error`: errors made by
 * native addons or other realms (undici, better-sqlite3 under jest's VM modules) are not
 * instances of this realm's Error.
 */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
