import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/**
 * Inputs a hostile or broken client sends (issue 15): each is refused with its code, the rest of
 * its batch is accepted and said so, the refusal is kept in the dead-letter queue, and the
 * platform goes on answering.
 */
describe('hostile input', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, contracts: { unknown: 'accept' }, probe: { interval: 0 } }, tmp.dir);
    platform = await startPlatform(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  const post = async (body: string) => {
    const response = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: response.status, body: (await response.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> } };
  };

  /** The dead letters with this code, once the indexer has them. */
  const letters = async (code: string, count: number): Promise<Array<{ id: string; event_id: string | null; stage: string }>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = (await getJson(`${platform.url}/v1/dlq?code=${code}`)).body.dead_letters;
      if (found.length >= count) return found;
      assert.ok(Date.now() < deadline, `${count} dead letters ${code} within 10 s; found ${found.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('an id of 70,000 characters: refused, kept as a dead letter, and the valid event beside it accepted', async () => {
    const longId = 'x'.repeat(70_000);
    const r = await post(JSON.stringify([{ ...pageView(longId, T0, '/'), id: longId }, pageView('beside-long-id', T0, '/')]));
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[0, 'SL_EVENT_FIELD_INVALID']]);
    const [letter] = await letters('SL_EVENT_FIELD_INVALID', 1);
    assert.equal(letter!.stage, 'ingest');
    assert.ok(letter!.event_id?.startsWith('xxxx'), 'the id is kept, cut to a bounded length');
    const original = await getJson(`${platform.url}/v1/dlq/${letter!.id}?original=text`);
    assert.equal(original.status, 200);
    assert.equal(JSON.parse(original.body.original).id.length, 70_000, 'the event is kept whole');
    assert.equal((await getJson(`${platform.url}/healthz`)).status, 200);
  });

  it('a payload nested 20,000 levels deep: refused, kept as it came, and served back as text', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const element = `{"id":"too-deep","source":"web","type":"page_view","timestamp":${T0},"payload":{"nested":${deep}}}`;
    const r = await post(`[${element},${JSON.stringify(pageView('beside-deep', T0, '/'))}]`);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[0, 'SL_EVENT_TOO_DEEP']]);
    const [letter] = await letters('SL_EVENT_TOO_DEEP', 1);
    assert.equal(letter!.event_id, 'too-deep');
    for (const as of ['json', 'text']) {
      const original = await getJson(`${platform.url}/v1/dlq/${letter!.id}?original=${as}`);
      assert.equal(original.status, 200, `?original=${as}`);
      assert.equal(original.body.original_encoding, 'text', 'too deep to be written back as JSON');
      assert.equal(original.body.original, element, 'the bytes as they came');
    }
    assert.equal((await getJson(`${platform.url}/healthz`)).status, 200);
  });
});
