// Dev-time only (scripts and tests import it; the service never does): Prisma's schema engine
// compiled to WebAssembly, for migration SQL without the downloadable `schema-engine` binary.
//
// Node 20 cannot import `.wasm` modules, so the package's entry point fails; we instantiate
// schema_engine_bg.wasm with its JS glue by hand, which is all that entry point does.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type * as SchemaEngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { readMigrations } from './migrations.js';

type Glue = typeof SchemaEngineGlue;
type SchemaEngine = SchemaEngineGlue.SchemaEngine;

// lib ES2023 and @types/node 20 do not declare WebAssembly; this is the part we use.
interface WebAssemblyApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

type PrismaPgPool = Extract<ConstructorParameters<typeof PrismaPg>[0], { query: unknown }>;

let gluePromise: Promise<Glue> | undefined;

function loadGlue(): Promise<Glue> {
  return (gluePromise ??= (async () => {
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue: Glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': withUnrefTimers(glue) });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })());
}

/**
 * The engine's timers are timeouts raced against real work (for example 10 s for Prisma's
 * advisory lock) and are never cleared: left referenced, each keeps the process (a script, a jest
 * worker) alive for its full length after the work is done. The work itself keeps the process
 * alive while it runs, so the timers can be unref'd.
 */
function withUnrefTimers(glue: Glue): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(imports)) {
    if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
  }
  return imports;
}

/**
 * The SQL that takes a database from schema `from` (null: empty database) to schema `to`,
 * exactly as `prisma migrate diff --script` prints it; '' when there is nothing to do.
 *
 * The engine connects to a database as soon as it is created, even though a diff between two
 * schema files never queries it: `url` must point at some reachable PostgreSQL.
 */
export async function diffSql(from: string | null, to: string, url: string): Promise<string> {
  const schema = (content: string) => ({ tag: 'schemaDatamodel' as const, files: [{ path: 'schema.prisma', content }] });
  const { stdout } = await withEngine(url, to, (engine) =>
    engine.diff({
      from: from === null ? { tag: 'empty' } : schema(from),
      to: schema(to),
      script: true,
      exitCode: null,
      filters: noFilters,
    }),
  );
  return normalizeEmpty(stdout ?? '');
}

/**
 * What `prisma migrate deploy` does to the database at `url`, run by the engine itself; returns
 * the names it applied. Tests use it to prove that our own runner keeps Prisma's books.
 */
export async function prismaMigrateDeploy(url: string, migrationsDir: string, schema: string): Promise<string[]> {
  const migrations = await readMigrations(migrationsDir);
  const lockfile = join(migrationsDir, 'migration_lock.toml');
  const lockContent = await readFile(lockfile, 'utf8').catch(() => null);
  const { appliedMigrationNames } = await withEngine(url, schema, (engine) =>
    engine.applyMigrations({
      migrationsList: {
        baseDir: migrationsDir,
        lockfile: { path: 'migration_lock.toml', content: lockContent },
        shadowDbInitScript: '',
        migrationDirectories: migrations.map((m) => ({
          path: m.name,
          migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: m.sql } },
        })),
      },
      filters: noFilters,
    }),
  );
  return appliedMigrationNames;
}

const noFilters = { externalTables: [], externalEnums: [] };

async function withEngine<T>(url: string, schema: string, use: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const glue = await loadGlue();
  // Our own pool, so we can close it: the engine never disposes its adapter.
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    // adapter-pg ships its own, newer @types/pg; at runtime both are this same `pg`.
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool as unknown as PrismaPgPool));
    const engine = await glue.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

/** The engine answers "no changes" with a comment only; callers want to test for ''. */
function normalizeEmpty(sql: string): string {
  const meaningful = sql
    .split('\n')
    .some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
  return meaningful ? sql : '';
}
