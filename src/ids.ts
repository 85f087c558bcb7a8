import { randomUUID } from 'node:crypto';

/** 12 lowercase hex characters, the id format of every record the service creates. */
export function newId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}
