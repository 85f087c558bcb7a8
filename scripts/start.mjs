// `npm start`: generate and build only when something changed since the last build, then run the
// service. A restart of an unchanged checkout goes straight to `node dist/server/main.js`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist', 'server', 'main.js');

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(target)) {
    if (name === 'generated') continue;
    newest = Math.max(newest, newestMtime(path.join(target, name)));
  }
  return newest;
}

function run(args) {
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const inputs = ['src', 'schema.graphql', 'codegen.yml', 'prisma/schema.prisma', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const sourcesChanged = Math.max(...inputs.map((input) => newestMtime(path.join(root, input))));
const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
const generated = existsSync(path.join(root, 'src', 'generated', 'graphql.ts')) && existsSync(path.join(root, 'src', 'generated', 'prisma', 'client.ts'));

if (!generated || builtAt < sourcesChanged) {
  run(['run', '--silent', 'generate']);
  run(['run', '--silent', 'build']);
}

// In this process, so that signals reach the service's own SIGINT/SIGTERM handlers directly.
await import(pathToFileURL(entry).href);
