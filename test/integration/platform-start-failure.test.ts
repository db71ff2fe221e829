import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

/** A port some other process listens on. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { port: address.port, server };
}

describe('a start that fails', () => {
  it('reports why, and leaves the data folder free: the next start on it works and keeps what the first one stored', { timeout: 120_000 }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const logger = pino({ level: 'silent' });
    const config = (port: number) => buildConfig({ dataDir: join(dir, 'data'), server: { port }, contracts: { unknown: 'accept' }, probe: { interval: 0 } }, dir);

    const first = await startPlatform(config(0), logger);
    const posted = await postEvents(first.url, [pageView('kept-1', Date.UTC(2026, 10, 26, 10), '/')]);
    assert.equal(posted.body.accepted, 1);
    await first.stop();

    // Everything up to the API starts (the hot store's lock taken, the log recovered, processing
    // running); then the port is taken, and all of it must be let go again.
    const { port, server } = await takenPort();
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await assert.rejects(startPlatform(config(port), logger), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');

    const again = await startPlatform(config(0), logger);
    t.after(() => again.stop());
    const found = await getJson(`${again.url}/v1/events/recent?limit=10`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.events.map((e: { id: string }) => e.id), ['kept-1']);
  });
});
