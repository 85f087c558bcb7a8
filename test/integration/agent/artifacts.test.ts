// Artifacts with the real agent (reference §6, decision 13): a scratchpad cell (real python3)
// writes a chart under the session's .anton/output and the run lists it with its size and sha256;
// the scratchpad keeps its state between two turns of the session.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Api, type LlmRelay, previews, PROVIDERS, sha256, useAgentService } from './helpers.js';

const HTML = '<html><body><div id="chart">sales by region</div></body></html>';
const WRITE_CHART = [
  'import os',
  "os.makedirs('.anton/output', exist_ok=True)",
  `html = ${JSON.stringify(HTML)}`,
  "with open('.anton/output/chart.html', 'w') as f:",
  '    f.write(html)',
  'counter = 41',
  "print('saved', len(html))",
].join('\n');

describe.each(PROVIDERS)('$name', (provider) => {
  let relay: LlmRelay;
  let api: Api;

  useAgentService(provider, (setup) => {
    ({ relay, api } = setup);
  });

  test('a chart written by a scratchpad cell is the run artifact; the scratchpad keeps state between turns', async () => {
    const { id: session, workspace } = await api.session('chart');
    const exec = (id: string, code: string): { toolCalls: Array<{ id: string; name: string; input: Record<string, unknown> }> } => ({
      toolCalls: [{ id, name: 'scratchpad', input: { action: 'exec', name: 'main', code, one_line_description: 'work', estimated_execution_time_seconds: 5 } }],
    });

    await relay.script([exec('s1', WRITE_CHART), { text: ['Chart saved.'] }]);
    const first = await api.turn(session, 'Plot sales by region');
    expect(first).toMatchObject({ status: 'completed', reply: 'Chart saved.', tool_calls: 1 });
    const [output] = previews(await api.events(session, first.run_id));
    expect(output).toContain('[output]');
    expect(output).toContain(`saved ${HTML.length}`);

    const chart = path.join(workspace, '.anton', 'output', 'chart.html');
    expect(await readFile(chart, 'utf8')).toBe(HTML);
    expect(await api.artifacts(first.run_id)).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{12}$/),
        kind: 'html',
        path: chart,
        created_at: expect.any(Number),
        size_bytes: Buffer.byteLength(HTML),
        sha256: sha256(HTML),
      },
    ]);

    await relay.script([exec('s2', 'counter += 1\nprint(counter)'), { text: ['It is 42.'] }]);
    const second = await api.turn(session, 'Add one to the counter');
    expect(second).toMatchObject({ status: 'completed', reply: 'It is 42.' });
    const [secondOutput] = previews(await api.events(session, second.run_id));
    expect(secondOutput).toContain('[output]');
    expect(secondOutput).toContain('42');
    expect(secondOutput).not.toContain('[error]');
    // Nothing new under .anton/output in the second run.
    expect(await api.artifacts(second.run_id)).toEqual([]);
  });
});
