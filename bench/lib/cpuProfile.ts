// Optional V8 CPU profile of a measured window (BENCH_CPU_PROFILE=1): the raw .cpuprofile (open it
// in Chrome DevTools) plus a summary of self time by package and by function.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byPackage: Array<{ name: string; ms: number; share: number }>;
  byFunction: Array<{ name: string; ms: number; share: number }>;
}

function packageOf(url: string, functionName: string): string {
  const match = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  if (url.includes('/src/')) return 'src (service)';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  return functionName ? `(${functionName.replace(/[()]/g, '')})` : '(native)';
}

function shortUrl(url: string): string {
  return url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
}

export async function startCpuProfile(name: string): Promise<() => Promise<ProfileSummary>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    const file = join(tmpdir(), `${name}-${Date.now()}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfTime = new Map<number, number>();
    profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const byPackage = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let total = 0;
    for (const [id, micros] of selfTime) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) continue;
      total += micros;
      const pkg = packageOf(frame.url, frame.functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
      const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    }
    const top = (map: Map<string, number>, count: number): ProfileSummary['byPackage'] =>
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([key, micros]) => ({ name: key, ms: Math.round(micros / 1000), share: Math.round((micros / total) * 1000) / 1000 }));
    return { file, totalMs: Math.round(total / 1000), byPackage: top(byPackage, 20), byFunction: top(byFunction, 30) };
  };
}
