// Inclusive ("total") time per function of a saved .cpuprofile, for the functions of the service
// (src/) and the libraries around a request: where a request's CPU goes top-down, next to the
// self-time summary of cpuProfile.ts.
import { readFile } from 'node:fs/promises';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface InclusiveEntry {
  name: string;
  ms: number;
  share: number;
}

function label(node: Node): string {
  const url = node.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
  return `${node.callFrame.functionName || '(anonymous)'} ${url}`;
}

/** The top `count` functions by inclusive time whose label matches `filter` (recursion counted once). */
export async function inclusiveTimes(file: string, filter: RegExp, count = 25): Promise<{ totalMs: number; top: InclusiveEntry[] }> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const leaf = nodes.get(id);
    // Idle time is not work: leave it out of the total.
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    total += micros;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const node = nodes.get(current);
      if (!node) break;
      const key = label(node);
      if (seen.has(key) || !filter.test(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const top = [...inclusive.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), share: Math.round((micros / total) * 1000) / 1000 }));
  return { totalMs: Math.round(total / 1000), top };
}
