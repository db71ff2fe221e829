import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { useInProcessPlatform } from '../../helpers/in-process-platform.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/**
 * A small hot.memoryLimit is a setting users choose on small machines. read_json asked for 128 MiB
 * on every commit (buffers twice a fixed 64 MiB object bound), so under 256 MiB nothing was ever
 * stored and events were set aside as poison.
 */
describe('hot store under a small memory limit', () => {
  const platform = useInProcessPlatform({ hot: { memoryLimit: '256MiB' } });

  it('stores every event, a 960 KB one among them, with nothing dead-lettered', async () => {
    const big = { ...pageView('big-1', T0, '/big'), payload: { page: '/big', user_id: 'u1', parts: Array.from({ length: 16 }, (_, i) => `${i}${'x'.repeat(60_000)}`) } };
    for (let b = 0; b < 10; b++) {
      const events = Array.from({ length: 50 }, (_, i) => pageView(`small-${b}-${i}`, T0 + b * 1000 + i, `/p${i % 7}`));
      if (b === 5) events.push(big);
      const r = await postEvents(platform().url, events);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.rejected, []);
    }
    await waitForBacklogZero(platform().url);
    const { body } = await getJson(`${platform().url}/v1/status`);
    assert.equal(body.processor.stored, 501, JSON.stringify(body.processor));
    assert.equal(body.processor.deadLettered, 0);
    const stored = await getJson(`${platform().url}/v1/events/big-1`);
    assert.equal(stored.body.event.payload.parts.length, 16);
  });
});
