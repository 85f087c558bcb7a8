// `prisma generate` needs no schema engine, yet the Prisma CLI insists on downloading one first,
// which fails on machines without internet. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing
// file skips the download (see notes/stack.md). Remove this when the CLI stops resolving the
// engine for `generate`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
