// Per-test databases on the run's PostgreSQL (started by globalSetup.ts). Cloning the migrated
// template is a file copy of a few milliseconds, so every test file (or test) gets its own database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Migrated once per run by globalSetup; test databases are cloned from it. */
export const TEMPLATE_DATABASE = 'anton_template';

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, closing any connections still open. Safe to call more than once. */
  drop(): Promise<void>;
}

/** A new database with all migrations applied. */
export function createTestDatabase(): Promise<TestDatabase> {
  return createDatabaseFrom(TEMPLATE_DATABASE);
}

/** A new, completely empty database (no `_prisma_migrations` either): for migration tests. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return createDatabaseFrom('template0');
}

/** The superuser URL of the run's PostgreSQL, published by globalSetup. */
export function adminUrl(): string {
  const url = process.env.ANTON_TEST_PG_URL;
  if (!url) {
    throw new Error('ANTON_TEST_PG_URL is not set: run this test through the jest `integration` project.');
  }
  return url;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function createDatabaseFrom(template: string): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `t_${randomBytes(8).toString('hex')}`;
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: databaseUrl(admin, name),
    name,
    drop: async () => {
      // FORCE: a test that leaked a connection must not make the cleanup fail.
      await withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
