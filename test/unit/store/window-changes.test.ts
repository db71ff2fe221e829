import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WindowChanges } from '../../../src/core/ports/event-queries.js';
import type { ProcessedBatch } from '../../../src/core/ports/processed-batch.js';
import { WindowChangeFeed } from '../../../src/store/hot/window-changes.js';

const batch = (windows: Array<[number, number]>, finalBounds: Record<string, number> = {}): ProcessedBatch =>
  ({ windows: windows.map(([windowStart, windowEnd]) => ({ name: 'pv', window: '1m', windowStart, windowEnd, group: '/a', stream: 'web/page_view', count: 1 })), finalBounds }) as unknown as ProcessedBatch;

/** What the window cache is told after each commit: the windows counted into, and those closed. */
describe('window changes of a commit', () => {
  it('tells the windows a batch counted into, and those its final bound closed since the last', () => {
    const feed = new WindowChangeFeed();
    const told: WindowChanges[] = [];
    feed.on((c) => told.push(c));
    feed.committed([batch([[60_000, 120_000]], { pv: 120_000 })]);
    // The window counted into; the first bound this process sees closes everything before it.
    assert.deepEqual(told.pop(), [
      { name: 'pv', from: 60_000, to: 60_001 },
      { name: 'pv', from: Number.NEGATIVE_INFINITY, to: 120_000 },
    ]);
    feed.committed([batch([[600_000, 660_000]], { pv: 300_000 })]);
    // 300 s closes the windows that end after 120 s: they start after 120 s less a window. The
    // window counted into is told apart, so windows between 300 s and 600 s are not told.
    assert.deepEqual(told.pop(), [
      { name: 'pv', from: 600_000, to: 600_001 },
      { name: 'pv', from: 60_000, to: 300_000 },
    ]);
    feed.committed([batch([], { pv: 300_000 })]);
    feed.committed([batch([])]);
    assert.equal(told.length, 0, 'a batch that changes no window, or the same bound again, tells nothing');
  });

  it("takes a bound below the last seen (another partition's) as closing windows too", () => {
    const feed = new WindowChangeFeed();
    const told: WindowChanges[] = [];
    feed.on((c) => told.push(c));
    feed.committed([batch([[0, 60_000]], { pv: 600_000 })]);
    feed.committed([batch([], { pv: 240_000 })]);
    assert.deepEqual(told.pop(), [{ name: 'pv', from: 180_000, to: 600_000 }]);
  });

  it('tells all for a change that cannot say', () => {
    const feed = new WindowChangeFeed();
    const told: WindowChanges[] = [];
    feed.on((c) => told.push(c));
    feed.all();
    assert.deepEqual(told, ['all']);
  });
});
