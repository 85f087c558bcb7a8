// One hook on every statement the service sends through `pg` (Prisma's adapter, $queryRaw and the
// direct statements all end in pg.Client#query), shared by the SQL capture and the live-events
// probes. Nothing in src/ changes.
import pg from 'pg';

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Calls `onQuery` with each statement's arguments as it is sent; the function it returns, if any,
 * runs when the answer (or error) arrives. Returns a function that removes the hook.
 */
export function hookPgQueries(onQuery: (args: readonly unknown[]) => (() => void) | null): () => void {
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const done = onQuery(args);
    if (!done) return original.apply(this, args);
    // pg.Pool#query calls the client with a callback; Prisma's transactions await a promise.
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as QueryFn;
      args[last] = (...answer: unknown[]) => {
        done();
        return callback(...answer);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(done, done);
    return result;
  };
  return () => {
    proto.query = original;
  };
}
