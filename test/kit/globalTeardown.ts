// Jest globalTeardown of the `integration` project: stops the run's PostgreSQL and removes its files.
// (Loaded by Node's own loader like globalSetup.ts: no local runtime imports here.)
import { rm } from 'node:fs/promises';
import type { TestClusterHolder } from './globalSetup.js';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as TestClusterHolder;
  const key = Symbol.for('anton.testCluster'); // = TEST_CLUSTER_KEY in globalSetup.ts
  const state = holder[key];
  if (!state) return;
  delete holder[key];
  await state.cluster.stop();
  await rm(state.parent, { recursive: true, force: true });
}
