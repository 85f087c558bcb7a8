// The migrations in prisma/migrations must build exactly what prisma/schema.prisma describes, and
// our runner (src/db/migrations.ts) must keep Prisma's books so `prisma migrate deploy` agrees.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations, defaultMigrationsDir, migrationChecksum, readMigrations } from '../../../src/db/migrations.js';
import { diffSql, prismaMigrateDeploy } from '../../../src/db/schemaEngine.js';
import { adminUrl, createEmptyDatabase, createTestDatabase, withClient, type TestDatabase } from '../../kit/db.js';

const schemaFile = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

const databases: TestDatabase[] = [];
async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createEmptyDatabase();
  databases.push(db);
  return db;
}

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

describe('prisma/migrations', () => {
  it('builds exactly the schema that schema.prisma describes', async () => {
    const [migrated, expected] = await Promise.all([emptyDatabase(), emptyDatabase()]);
    await applyMigrations(migrated.url);
    const sql = await diffSql(null, await readFile(schemaFile, 'utf8'), adminUrl());
    await withClient(expected.url, (client) => client.query(sql));

    const [actual, wanted] = await Promise.all([catalogOf(migrated.url), catalogOf(expected.url)]);
    expect(actual).toEqual(wanted);
    // Guard against a vacuous pass (for example both sides empty).
    expect(actual.columns.length).toBeGreaterThan(0);
  });

  it('has no schema change waiting for a migration (the snapshot matches schema.prisma)', async () => {
    const snapshot = await readFile(join(defaultMigrationsDir(), 'schema.snapshot.prisma'), 'utf8');
    expect(await diffSql(snapshot, await readFile(schemaFile, 'utf8'), adminUrl())).toBe('');
  });
});

describe('applyMigrations', () => {
  it('applies every migration once and records it as Prisma does', async () => {
    const db = await emptyDatabase();
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    expect(await applyMigrations(db.url)).toEqual({ applied: migrations.map((m) => m.name) });
    expect(await applyMigrations(db.url)).toEqual({ applied: [] });

    const rows = await migrationRows(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const file = await readFile(join(defaultMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(migrationChecksum(file));
      expect(row.checksum).toBe(migrations[i]?.checksum);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('creates _prisma_migrations with exactly the columns Prisma uses', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    const { columns } = await catalogOf(db.url, { includePrismaTable: true });
    expect(columns.filter((c) => c.table_name === '_prisma_migrations')).toEqual([
      column('applied_steps_count', 'integer', 'NO', '0'),
      column('checksum', 'character varying(64)', 'NO', null),
      column('finished_at', 'timestamp with time zone', 'YES', null),
      column('id', 'character varying(36)', 'NO', null),
      column('logs', 'text', 'YES', null),
      column('migration_name', 'character varying(255)', 'NO', null),
      column('rolled_back_at', 'timestamp with time zone', 'YES', null),
      column('started_at', 'timestamp with time zone', 'NO', 'now()'),
    ]);
  });

  it('is seen as complete by `prisma migrate deploy` (the schema engine itself)', async () => {
    const schema = await readFile(schemaFile, 'utf8');
    const ours = await emptyDatabase();
    await applyMigrations(ours.url);
    expect(await prismaMigrateDeploy(ours.url, defaultMigrationsDir(), schema)).toEqual([]);

    // And the other way round: what Prisma applied, we do not apply again.
    const theirs = await emptyDatabase();
    expect((await prismaMigrateDeploy(theirs.url, defaultMigrationsDir(), schema)).length).toBeGreaterThan(0);
    expect(await applyMigrations(theirs.url)).toEqual({ applied: [] });
  });

  it('refuses to go on when an applied migration was changed', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    await withClient(db.url, (client) =>
      client.query(`UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = (SELECT min(migration_name) FROM _prisma_migrations)`),
    );
    await expect(applyMigrations(db.url)).rejects.toThrow(/was modified after it was applied/);
  });

  it('rolls a failing migration back entirely and records nothing for it', async () => {
    const dir = await scratchMigrations({
      '20200101000000_ok': 'CREATE TABLE ok (id int);',
      '20200101000001_bad': 'CREATE TABLE half (id int);\nSELECT 1/0;',
    });
    try {
      const db = await emptyDatabase();
      await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/20200101000001_bad failed.*division by zero/);
      const tables = await withClient(db.url, async (client) =>
        (await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t),
      );
      expect(tables).toEqual(['_prisma_migrations', 'ok']);
      expect((await migrationRows(db.url)).map((r) => r.migration_name)).toEqual(['20200101000000_ok']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets two processes migrate one fresh database at the same time', async () => {
    const db = await emptyDatabase();
    const names = (await readMigrations()).map((m) => m.name);
    const results = await Promise.all([applyMigrations(db.url), applyMigrations(db.url)]);
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([names, []]);
    expect((await migrationRows(db.url)).map((r) => r.migration_name)).toEqual(names);
  });
});

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

function migrationRows(url: string): Promise<MigrationRow[]> {
  return withClient(url, async (client) => (await client.query<MigrationRow>('SELECT * FROM _prisma_migrations ORDER BY migration_name')).rows);
}

async function scratchMigrations(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'anton-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

function column(name: string, type: string, nullable: string, defaultValue: string | null) {
  return { table_name: '_prisma_migrations', column_name: name, type, is_nullable: nullable, column_default: defaultValue };
}

/** Everything about the public schema that a migration can get wrong, in a comparable form. */
async function catalogOf(url: string, { includePrismaTable = false } = {}) {
  return withClient(url, async (client) => {
    const exclude = includePrismaTable ? '' : `_prisma_migrations`;
    const rows = async (sql: string) => (await client.query(sql, [exclude])).rows as Record<string, unknown>[];
    return {
      tables: await rows(`
        SELECT c.relname AS table_name, c.relkind, c.relpersistence
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> $1
        ORDER BY 1`),
      columns: await rows(`
        SELECT c.relname AS table_name, a.attname AS column_name,
               format_type(a.atttypid, a.atttypmod) AS type,
               CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable,
               pg_get_expr(d.adbin, d.adrelid) AS column_default
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> $1
        ORDER BY 1, 2`),
      constraints: await rows(`
        SELECT c.relname AS table_name, con.conname, con.contype, pg_get_constraintdef(con.oid) AS definition,
               con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname <> $1
        ORDER BY 1, 2`),
      indexes: await rows(`
        SELECT tablename AS table_name, indexname, indexdef
        FROM pg_indexes WHERE schemaname = 'public' AND tablename <> $1
        ORDER BY 1, 2`),
      sequences: await rows(`
        SELECT s.sequencename, s.data_type::text, s.start_value, s.min_value, s.max_value, s.increment_by,
               s.cycle, s.cache_size,
               (SELECT dc.relname || '.' || a.attname
                  FROM pg_depend dep
                  JOIN pg_class dc ON dc.oid = dep.refobjid
                  JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
                 WHERE dep.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass AND dep.deptype IN ('a', 'i')) AS owned_by
        FROM pg_sequences s WHERE s.schemaname = 'public' AND $1::text IS NOT NULL
        ORDER BY 1`),
      types: await rows(`
        SELECT t.typname, t.typtype,
               (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typname <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
        ORDER BY 1`),
      extensions: await rows(`SELECT extname FROM pg_extension WHERE $1::text IS NOT NULL ORDER BY 1`),
    };
  });
}
