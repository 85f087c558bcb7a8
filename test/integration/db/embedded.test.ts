// src/db/embedded.ts: a persistent cluster keeps its data across restarts, and a data dir that a
// running postmaster owns is refused with a message that says what to do.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeScratchDir, startEmbeddedPostgres } from '../../../src/db/embedded.js';
import { withClient } from '../../kit/db.js';

let parent: string;

beforeAll(async () => {
  parent = await makeScratchDir('anton-embedded-');
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

it('keeps data across a stop and a start, and refuses a second start on the same dir', async () => {
  const dataDir = join(parent, 'pgdata');

  const first = await startEmbeddedPostgres({ dataDir });
  await withClient(first.url, async (client) => {
    await client.query('CREATE TABLE notes (body text)');
    await client.query(`INSERT INTO notes VALUES ('survives a restart')`);
  });
  await first.stop();
  await first.stop(); // idempotent

  const second = await startEmbeddedPostgres({ dataDir });
  try {
    const rows = await withClient(second.url, async (client) => (await client.query('SELECT body FROM notes')).rows);
    expect(rows).toEqual([{ body: 'survives a restart' }]);

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
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
