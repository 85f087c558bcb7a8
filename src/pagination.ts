import { badInput } from './errors.js';

/** The largest page any list returns, so that no request loads a whole table into memory. */
export const MAX_PAGE_SIZE = 10_000;

/** Lists clamp their size to at least 1, as the reference does, and at most MAX_PAGE_SIZE. */
export function clampPageSize(requested: number | null | undefined, fallback: number): number {
  const size = requested ?? fallback;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(size)));
}

/** Keyset position in a list ordered by (createdAt, id), newest first. */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.getTime(), cursor.id])).toString('base64url');
}

export function decodeCursor(value: string | null | undefined): KeysetCursor | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return { createdAt: new Date(parsed[0]), id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw badInput(`Invalid cursor '${value}'.`);
}

/** Repositories fetch one row more than asked; this turns that into a page. */
export function toPage<T>(rows: T[], size: number): Page<T> {
  return { items: rows.slice(0, size), hasMore: rows.length > size };
}

/** Prisma `where` for rows strictly after a newest-first keyset cursor. */
export function afterCursorWhere(cursor: KeysetCursor | null): object {
  if (!cursor) return {};
  return {
    OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
  };
}
