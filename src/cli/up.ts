import { resolve } from 'node:path';
import { loadConfigFile } from '../config/config.js';
import { createLogger } from '../observe/logging.js';
import { startPlatform } from '../platform.js';

export interface UpOptions {
  data?: string;
  port?: string;
  host?: string;
  config?: string;
}

/** `sightline up`: the whole platform in this process until SIGINT/SIGTERM, then a clean stop. */
export async function up(options: UpOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (options.data !== undefined) overrides.dataDir = resolve(options.data);
  const server: Record<string, unknown> = {};
  if (options.port !== undefined) server.port = Number(options.port);
  if (options.host !== undefined) server.host = options.host;
  if (Object.keys(server).length > 0) overrides.server = server;
  const config = await loadConfigFile(options.config, overrides);
  const platform = await startPlatform(config, createLogger(config.logLevel));
  platform.logger.info({ url: platform.url, dataDir: config.dataDir }, 'sightline is up');
  process.stdout.write(`Sightline API at ${platform.url}  (data: ${config.dataDir}; OpenAPI: ${platform.url}/openapi.json)\n`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      platform.logger.warn({ signal }, 'second signal: exiting without finishing the stop');
      process.exit(130);
    }
    platform.logger.info({ signal }, 'signal received');
    platform.stop().then(
      () => process.exit(0),
      (err) => {
        platform.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
