import { errorMessage } from '../errors.js';

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; cause?: unknown };
  if (typeof record.code === 'string') return record.code;
  return undefined;
}

/** Prisma reports a unique-constraint violation as P2002 (and adapter-pg passes 23505 through). */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'P2002' || code === '23505') return true;
  const message = errorMessage(error);
  return message.includes('Unique constraint failed') || message.includes('duplicate key value');
}

const CONNECTION_FAILURE_MARKERS = [
  'ECONNREFUSED',
  'ECONNRESET',
  'Connection terminated',
  // pg, for a query on a pooled client whose connection broke (a transaction in flight when the
  // server went away): the same outage, not an internal error.
  'Client has encountered a connection error',
  'terminating connection',
  'the database system is',
  "Can't reach database server",
  'Timed out fetching a new connection',
  'P1001',
  'P1017',
  'P2024',
];

/** True for errors that mean "PostgreSQL is unreachable right now", which callers see as 503. */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if (code && ['P1001', 'P1002', 'P1017', 'P2024', '57P01', '57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(code)) {
    return true;
  }
  const message = errorMessage(error);
  return CONNECTION_FAILURE_MARKERS.some((marker) => message.includes(marker));
}


/** PostgreSQL refuses NUL characters in text and JSON (22021, 22P05); that is the client's input. */
export function isUnstorableText(error: unknown): boolean {
  const code = codeOf(error);
  if (code === '22021' || code === '22P05') return true;
  const message = errorMessage(error);
  return ['invalid byte sequence for encoding', 'unsupported Unicode escape sequence', '22P05', '22021'].some((marker) => message.includes(marker));
}
