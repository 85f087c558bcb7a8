import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;
/** The client handed to repositories inside `db.$transaction(async (tx) => …)`. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;
/**
 * The connection pool under Prisma, for the few hot statements that go to `pg` directly (an
 * event append, the live reader's read): Prisma's query pipeline costs ~0.3–0.5 ms of CPU per
 * statement, which at a thousand events a second is most of a core.
 */
export type SqlPool = pg.Pool;

export interface Connections {
  db: Database;
  sql: SqlPool;
  close(): Promise<void>;
}

/** One pool shared by Prisma and the direct statements, so they never compete for connections. */
export function createConnections(
  connectionString: string,
  options: { poolSize?: number; onIdleError?: (error: Error) => void } = {},
): Connections {
  const sql = new pg.Pool({ connectionString, max: options.poolSize ?? 10 });
  // An idle client whose server went away emits 'error' on the pool; unheard, it would crash.
  sql.on('error', (error) => options.onIdleError?.(error));
  const adapter = new PrismaPg(sql);
  // Interactive transactions here are short, but under load they queue behind a session's row
  // lock; Prisma's defaults (2 s to get a connection, 5 s in all) abort them too eagerly.
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
  return {
    db,
    sql,
    close: async () => {
      await db.$disconnect();
      await sql.end();
    },
  };
}
