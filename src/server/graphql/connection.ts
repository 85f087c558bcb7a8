import { encodeCursor, type KeysetCursor, type Page } from '../../pagination.js';

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A page of keyset-ordered rows as a Relay-style connection. Rows ordered by (createdAt, id)
 * are their own cursor; lists ordered by another timestamp say how to key a row.
 */
export function toConnection<T extends KeysetCursor>(page: Page<T>): Connection<T>;
export function toConnection<T>(page: Page<T>, keyOf: (node: T) => KeysetCursor): Connection<T>;
export function toConnection<T>(page: Page<T>, keyOf?: (node: T) => KeysetCursor): Connection<T> {
  const key = keyOf ?? ((node: T) => node as unknown as KeysetCursor);
  const edges = page.items.map((node) => ({ cursor: encodeCursor(key(node)), node }));
  return { edges, nodes: page.items, pageInfo: { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null } };
}
