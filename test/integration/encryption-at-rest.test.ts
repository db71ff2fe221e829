import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildConfig } from '../../src/config/config.js';
import { KeyRing } from '../../src/core/key-ring.js';
import { startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const MARK = 'plaintext-canary-7f3a';
const READER = fileURLToPath(new URL('../../../test/tools/read_encrypted_duckdb.py', import.meta.url));

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

describe('encryption at rest', () => {
  it('leaves no plaintext event in the log, the hot store or the Parquet files, serves the events, and refuses a world-readable key file', async () => {
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
      const files = await filesUnder(join(tmp.dir, 'data'));
      assert.ok(files.some((f) => f.endsWith('.log.key') || /\d{20}\.key$/.test(f)), 'each segment has its wrapped data key');
      assert.ok(files.some((f) => f.endsWith('.parquet')), 'the events reached the cold store');
      for (const file of files) assert.ok(!(await readFile(file)).includes(MARK), `${file} holds no plaintext`);

      // DuckDB's Python package reads the database and the Parquet files with the data keys.
      const ring = KeyRing.parse(await readFile(keyFile, 'utf8'), keyFile);
      const dataKey = async (path: string) => ring.unwrap(JSON.parse(await readFile(`${path}.key`, 'utf8')), path).toString('base64');
      const database = join(tmp.dir, 'data', 'hot', 'sightline.duckdb');
      const read = spawnSync('python3', [READER, database, await dataKey(database), join(tmp.dir, 'data', 'cold', 'events', '**', '*.parquet'), await dataKey(join(tmp.dir, 'data', 'cold')), MARK], { encoding: 'utf8' });
      assert.equal(read.status, 0, read.stderr);
      assert.deepEqual(JSON.parse(read.stdout), { hot: 50, cold: 50 });
    } finally {
      await tmp.cleanup();
    }
  });

  it('encrypts a hot store written before encryption was turned on, keeping its events', async () => {
    const tmp = await tempDir();
    try {
      const dataDir = join(tmp.dir, 'data');
      const base = { dataDir, server: { port: 0 }, contracts: { unknown: 'accept' }, probe: { interval: '0s' } };
      const before = await startPlatform(buildConfig(base), pino({ level: 'silent' }));
      await postEvents(before.url, [pageView('old-1', Date.UTC(2026, 10, 26, 9), `/${MARK}-old`, 'u1')]);
      await waitForBacklogZero(before.url);
      await before.stop();
      const keyFile = join(tmp.dir, 'master.keys');
      await writeFile(keyFile, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      const after = await startPlatform(buildConfig({ ...base, encryption: { keyFile } }), pino({ level: 'silent' }));
      try {
        assert.equal((await getJson(`${after.url}/v1/events/old-1`)).body.event.payload.page, `/${MARK}-old`);
      } finally {
        await after.stop();
      }
      for (const file of await filesUnder(join(dataDir, 'hot'))) assert.ok(!(await readFile(file)).includes(`${MARK}-old`), `${file} holds no plaintext`);
    } finally {
      await tmp.cleanup();
    }
  });
});
