// autocannon 9 in a CHILD process (its CLI, `--json`), so that the load generator never shares
// the event loop of the server under test, which runs in the bench process. The child still
// shares the machine's two cores: both sides of a comparison get the same child, the same
// settings and the same conditions.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CLI = require.resolve('autocannon/autocannon.js');

export interface LoadSettings {
  connections: number;
  seconds: number;
  pipelining: number;
}

/** The parts of autocannon's JSON result the bench uses. */
export interface LoadResult {
  requests: { average: number; mean: number; total: number; sent: number };
  latency: { p50: number; p90: number; p99: number; average: number; max: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}

export function runAutocannon(url: string, settings: LoadSettings): Promise<LoadResult> {
  const args = [CLI, '-c', String(settings.connections), '-d', String(settings.seconds), '-p', String(settings.pipelining), '-j', '-n', url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-4000)));
    // Bounded: a stuck child is killed well after its run should have ended.
    const timer = setTimeout(() => child.kill('SIGKILL'), (settings.seconds + 30) * 1000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`autocannon exited ${code ?? signal}: ${err}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`autocannon printed no JSON: ${out.slice(0, 500)} ${err}`));
      }
    });
  });
}
