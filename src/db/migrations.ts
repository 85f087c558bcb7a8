// Applies prisma/migrations/<name>/migration.sql with plain `pg`, because the Prisma CLI's
// migrate engine is a download that may be unavailable where the service runs.
//
// The bookkeeping is Prisma's own: the `_prisma_migrations` table with Prisma's DDL, the sha256
// checksum of the file, and Prisma's advisory lock key. So `prisma migrate deploy` (on a machine
// with the real engine) sees our migrations as applied, and the two never run at the same time.
//
// Unlike Prisma, each migration runs in one transaction together with its bookkeeping row: a
// failure leaves neither the partial schema nor a "failed" row behind, and a retry just works.
// A migration therefore must not manage transactions itself (no BEGIN/COMMIT, no
// CREATE INDEX CONCURRENTLY).
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { errorMessage } from '../errors.js';

/** The key Prisma's schema engine passes to pg_advisory_lock. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// The schema engine's DDL, only with IF NOT EXISTS.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface ApplyMigrationsOptions {
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** `<repo>/prisma/migrations`; the same two levels up from src/db (tsx, jest) and dist/db. */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
}

/** sha256 hex of the file's bytes, as Prisma records it. */
export function migrationChecksum(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Migration folders in name (= timestamp) order, as Prisma orders them. */
export async function readMigrations(migrationsDir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const file = join(migrationsDir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new Error(`Migration folder ${name} has no readable migration.sql (${file})`, { cause: error });
    }
    migrations.push({ name, sql: bytes.toString('utf8'), checksum: migrationChecksum(bytes) });
  }
  return migrations;
}

export async function applyMigrations(
  connectionString: string,
  options: ApplyMigrationsOptions = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir);

  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    // Session-level lock: a second service process starting at the same moment waits here and
    // then finds everything applied.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      return { applied: await applyPending(client, migrations, log) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(client: pg.Client, migrations: MigrationFile[], log: (m: string) => void): Promise<string[]> {
  await client.query(CREATE_MIGRATIONS_TABLE);
  const { rows } = await client.query<MigrationRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
  );

  // Rolled-back rows are history only (`prisma migrate resolve --rolled-back`).
  const live = rows.filter((r) => r.rolled_back_at === null);
  const failed = live.filter((r) => r.finished_at === null);
  if (failed.length > 0) {
    // Only `prisma migrate deploy` leaves these (our runs are transactional).
    throw new Error(
      `Migration ${failed.map((r) => r.migration_name).join(', ')} failed earlier and is recorded as unfinished in ` +
        '_prisma_migrations. Fix the database, then mark it with `prisma migrate resolve`.',
    );
  }
  const applied = new Map(live.map((r) => [r.migration_name, r.checksum]));

  const known = new Set(migrations.map((m) => m.name));
  for (const name of applied.keys()) {
    // A newer build may have migrated this database; older code keeps working on a superset.
    if (!known.has(name)) log(`Migration ${name} is applied to the database but not present locally.`);
  }

  const done: string[] = [];
  for (const migration of migrations) {
    const recorded = applied.get(migration.name);
    if (recorded !== undefined) {
      if (recorded !== migration.checksum) {
        throw new Error(
          `Migration ${migration.name} was modified after it was applied (checksum in the database ${recorded}, ` +
            `on disk ${migration.checksum}). Restore the original file and put the change in a new migration.`,
        );
      }
      continue;
    }
    await applyOne(client, migration);
    log(`Applied migration ${migration.name}`);
    done.push(migration.name);
  }
  return done;
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    // No parameters: pg then uses the simple protocol, which runs a multi-statement script.
    await client.query(migration.sql);
    // started_at = now() is the transaction start; applied_steps_count 1 = one script, as Prisma counts.
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const reason = errorMessage(error);
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error });
  }
}
