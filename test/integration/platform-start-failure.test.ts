import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

/** An address no machine has (TEST-NET-1, RFC 5737): binding to it fails with EADDRNOTAVAIL. */
const NOT_HERE = '192.0.2.1';

describe('a start that fails', () => {
  it('reports why, and leaves the data folder free: the next start on it works and keeps what the first one stored', { timeout: 120_000 }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const logger = pino({ level: 'silent' });
    const config = (port: number, host = '127.0.0.1') => buildConfig({ dataDir: join(dir, 'data'), server: { port, host }, contracts: { unknown: 'accept' }, probe: { interval: 0 } }, dir);

    const first = await startPlatform(config(0), logger);
    const posted = await postEvents(first.url, [pageView('kept-1', Date.UTC(2026, 10, 26, 10), '/')]);
    assert.equal(posted.body.accepted, 1);
    await first.stop();

    // Everything up to the API starts (the hot store's lock taken, the log recovered, processing
    // running); then the API cannot listen, and all of it must be let go again. (A taken port is
    // refused before anything starts: test/e2e/cli-messages.test.ts.)
    await assert.rejects(startPlatform(config(0, NOT_HERE), logger), (err: NodeJS.ErrnoException) => err.code === 'EADDRNOTAVAIL');

    const again = await startPlatform(config(0), logger);
    t.after(() => again.stop());
    const found = await getJson(`${again.url}/v1/events/recent?limit=10`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.events.map((e: { id: string }) => e.id), ['kept-1']);
  });
});
