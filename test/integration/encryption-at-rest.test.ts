import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const MARK = 'plaintext-canary-7f3a';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

describe('encryption at rest of the embedded log', () => {
  it('leaves no plaintext event in the log folder, serves the events, and refuses a world-readable key file', async () => {
    const tmp = await tempDir();
    try {
      const keyFile = join(tmp.dir, 'master.keys');
      await writeFile(keyFile, `# current first\nk2026:${randomBytes(32).toString('base64')}\n`);
      await chmod(keyFile, 0o644);
      const config = buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, encryption: { keyFile }, contracts: { unknown: 'accept' }, probe: { interval: '0s' } });
      await assert.rejects(startPlatform(config, pino({ level: 'silent' })), /SL_CONFIG_INVALID|readable by other users/);
      await chmod(keyFile, 0o600);
      const platform = await startPlatform(config, pino({ level: 'silent' }));
      try {
        const events = Array.from({ length: 50 }, (_, i) => pageView(`enc-${i}`, Date.UTC(2026, 10, 26, 9, 0, i), `/${MARK}`, `u-${MARK}`));
        assert.equal((await postEvents(platform.url, events)).body.accepted, 50);
        await waitForBacklogZero(platform.url);
        const stored = (await getJson(`${platform.url}/v1/events/enc-7`)).body;
        assert.equal(stored.event.payload.page, `/${MARK}`, 'the query API reads them as they were sent');
      } finally {
        await platform.stop();
      }
      const logFiles = await filesUnder(join(tmp.dir, 'data', 'log'));
      assert.ok(logFiles.some((f) => f.endsWith('.key')), 'each segment has its wrapped data key');
      for (const file of logFiles) assert.ok(!(await readFile(file)).includes(MARK), `${file} holds no plaintext`);
    } finally {
      await tmp.cleanup();
    }
  });
});
