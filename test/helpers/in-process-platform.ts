import { join } from 'node:path';
import { after, before } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { tempDir } from './tmp.js';

/**
 * A platform in the test's own process for the suite (started before, stopped after), on a free
 * port and a temporary data folder, accepting events without contracts and with no probe, unless
 * `config` says otherwise.
 */
export function useInProcessPlatform(config: Record<string, unknown> = {}): () => RunningPlatform {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  let platform: RunningPlatform | undefined;
  before(async () => {
    tmp = await tempDir();
    const base = { dataDir: join(tmp.dir, 'data'), server: { port: 0 }, contracts: { unknown: 'accept' }, probe: { interval: 0 } };
    platform = await startPlatform(buildConfig({ ...base, ...config }, tmp.dir), pino({ level: 'silent' }));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });
  return () => {
    if (!platform) throw new Error('the platform is used before the suite started it');
    return platform;
  };
}
