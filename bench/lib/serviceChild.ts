// The real service in a CHILD process for the memory measure: `node --expose-gc --import tsx
// bench/lib/serviceChild.ts`, configured by the environment (DATABASE_URL, ANTON_HOME), with the
// zero-latency agent (zeroModel.ts). Over IPC it answers:
//   {type:'ready', url, pid}                       once it listens (sent unasked)
//   {type:'gc'} → {type:'gc-done', memory}         after forced full GCs (process.memoryUsage())
// BENCH_CHILD_FLOOR=1 starts nothing: the runtime alone (node + the tsx loader), the floor under
// the service's RSS. SIGTERM or the parent going away closes the service and exits.
// Only types at the top: the floor (BENCH_CHILD_FLOOR=1) must load none of the service's modules.
import type { RunningService } from '../../src/server/app.js';

export type ChildRequest = { type: 'gc' };
export type ChildReply = { type: 'ready'; url: string | null; pid: number } | { type: 'gc-done'; memory: NodeJS.MemoryUsage };

function send(message: ChildReply): void {
  process.send?.(message);
}

async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // Twice, with a turn of the event loop between: finalizers and weak callbacks free more.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

async function main(): Promise<void> {
  let service: RunningService | null = null;
  if (process.env.BENCH_CHILD_FLOOR !== '1') {
    const { startService } = await import('../../src/server/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { createLogger } = await import('../../src/logger.js');
    const { zeroLatencyAgent } = await import('./zeroModel.js');
    const home = process.env.ANTON_HOME;
    const databaseUrl = process.env.DATABASE_URL;
    if (!home || !databaseUrl) throw new Error('serviceChild needs ANTON_HOME and DATABASE_URL.');
    const config = loadConfig(process.env, { cwd: home, homeDir: home, readEnvFiles: false });
    service = await startService({ config, databaseUrl, agent: zeroLatencyAgent(config), log: createLogger('warn'), cwd: home });
  }
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void (service ? service.close() : Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('disconnect', shutdown);
  process.on('message', (message: ChildRequest) => {
    if (message.type === 'gc') void fullGc().then(() => send({ type: 'gc-done', memory: process.memoryUsage() }));
  });
  send({ type: 'ready', url: service?.url ?? null, pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(`serviceChild failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
