import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;
/** The client handed to repositories inside `db.$transaction(async (tx) => …)`. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export function createDatabase(connectionString: string, options: { poolSize?: number } = {}): Database {
  const adapter = new PrismaPg({ connectionString, max: options.poolSize ?? 10 });
  // Interactive transactions here are short, but under load they queue behind a session's row
  // lock; Prisma's defaults (2 s to get a connection, 5 s in all) abort them too eagerly.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}
