// Jest globalSetup of the `integration` project: ONE embedded PostgreSQL for the whole run, with
// the migrations applied once to a template database that every test clones (test/kit/db.ts).
//
// Jest loads this file (and teardown) with Node's own loader, not its module system: the
// moduleNameMapper that maps `./x.js` to `./x.ts` does not apply, so local modules come in through
// tsx's loader instead. Static imports here must be bare packages or `import type`.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import type * as DbKit from './db.js';
import type * as Embedded from '../../src/db/embedded.js';
import type * as Migrations from '../../src/db/migrations.js';

export interface TestClusterState {
  cluster: Embedded.EmbeddedPostgresHandle;
  /** The scratch dir holding the data dir; removed at teardown. */
  parent: string;
}

/**
 * globalSetup and globalTeardown share the process and its globals but not their modules: the
 * handle travels on globalThis under this registered symbol.
 */
export type TestClusterHolder = { [key: symbol]: TestClusterState | undefined };
export const TEST_CLUSTER_KEY: symbol = Symbol.for('anton.testCluster');

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const [{ startEmbeddedPostgres, makeScratchDir }, { applyMigrations }, kit] = await Promise.all([
    load<typeof Embedded>('../../src/db/embedded.ts'),
    load<typeof Migrations>('../../src/db/migrations.ts'),
    load<typeof DbKit>('./db.ts'),
  ]);

  const parent = await makeScratchDir('anton-test-pg-');
  let cluster: Embedded.EmbeddedPostgresHandle | undefined;
  try {
    cluster = await startEmbeddedPostgres({ dataDir: join(parent, 'pgdata'), persistent: false });

    const { TEMPLATE_DATABASE: template, withClient } = kit;
    await withClient(cluster.url, (client) => client.query(`CREATE DATABASE ${template}`));
    await applyMigrations(kit.databaseUrl(cluster.url, template));
    // CREATE DATABASE ... TEMPLATE fails while anyone is connected to the template: allow no one.
    await withClient(cluster.url, (client) =>
      client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
    );
  } catch (error) {
    // Jest skips globalTeardown when globalSetup fails: leave no postmaster or files behind.
    await cluster?.stop();
    await rm(parent, { recursive: true, force: true });
    throw error;
  }

  (globalThis as TestClusterHolder)[TEST_CLUSTER_KEY] = { cluster, parent };
  // Workers inherit the environment of the process that ran globalSetup.
  process.env.ANTON_TEST_PG_URL = cluster.url;
  if (process.env.ANTON_TEST_VERBOSE) console.log(`\nTest PostgreSQL ready in ${Date.now() - started} ms`);
}

function load<T>(specifier: string): Promise<T> {
  return tsImport(specifier, import.meta.url) as Promise<T>;
}
