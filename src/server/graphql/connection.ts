import { encodeCursor, type KeysetCursor, type Page } from '../../pagination.js';

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A page of keyset-ordered rows as a Relay-style connection. */
export function toConnection<T extends KeysetCursor>(page: Page<T>): Connection<T> {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node), node }));
  return { edges, nodes: page.items, pageInfo: { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null } };
}
