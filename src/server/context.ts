import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';

/**
 * What every resolver receives, whichever transport the operation came through (HTTP GraphQL,
 * WebSocket, REST). Built per request by `createContext`; nothing request-scoped lives in a
 * module singleton.
 */
export interface RequestContext {
  requestId: string;
  services: Services;
  log: Logger;
}

export function createContext(services: Services, log: Logger, requestId: string = randomUUID()): RequestContext {
  return { requestId, services, log };
}
