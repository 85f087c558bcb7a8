// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL or, when it is unset, to the
// service's embedded database ($ANTON_HOME/.anton/service/pgdata, ANTON_HOME defaulting to the
// current directory), which is started for the purpose and stopped afterwards.
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrations.js';

async function main(): Promise<void> {
  const log = (message: string) => console.log(message);
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    report(await applyMigrations(databaseUrl, { log }));
    return;
  }

  const dataDir = join(resolve(process.env.ANTON_HOME ?? process.cwd()), '.anton', 'service', 'pgdata');
  console.log(`DATABASE_URL is not set: using the embedded PostgreSQL in ${dataDir}`);
  const pg = await startEmbeddedPostgres({ dataDir });
  try {
    report(await applyMigrations(pg.url, { log }));
  } finally {
    await pg.stop();
  }
}

function report({ applied }: { applied: string[] }): void {
  console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s).`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
