import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { ColdStore } from '../../src/core/ports/cold-store.js';

/** The contract every ColdStore adapter passes. */
export function coldStoreContract(name: string, open: () => Promise<{ store: ColdStore; teardown: () => Promise<void> }>): void {
  describe(`ColdStore contract: ${name}`, () => {
    let store: ColdStore;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ store, teardown } = await open());
    });
    after(async () => teardown());

    it('publishes a staged file under its key and lists it with its size', async () => {
      const staged = store.stagingPath('a.parquet');
      await writeFile(staged, 'PAR1-first');
      await store.put('events/dt=2026-11-26/part-1.parquet', staged);
      const listed = await store.list('events');
      assert.deepEqual(listed, [{ key: 'events/dt=2026-11-26/part-1.parquet', bytes: 10 }]);
      assert.equal(await readFile(store.location('events/dt=2026-11-26/part-1.parquet'), 'utf8'), 'PAR1-first');
    });

    it('replaces a file put again under the same key (an export re-run after a crash)', async () => {
      const staged = store.stagingPath('b.parquet');
      await writeFile(staged, 'PAR1-second-version');
      await store.put('events/dt=2026-11-26/part-1.parquet', staged);
      const listed = await store.list('events');
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.bytes, 19);
    });

    it('never lists staged files that are not published yet', async () => {
      await writeFile(store.stagingPath('pending.parquet'), 'PAR1');
      const keys = (await store.list('')).map((f) => f.key);
      assert.ok(keys.every((k) => !k.includes('pending')), keys.join(', '));
    });

    it('lists by prefix, sorted', async () => {
      for (const key of ['aggregates/page-views/dt=2026-11-27/x.parquet', 'aggregates/page-views/dt=2026-11-26/y.parquet']) {
        const staged = store.stagingPath(key.replaceAll('/', '_'));
        await writeFile(staged, 'PAR1');
        await store.put(key, staged);
      }
      assert.deepEqual((await store.list('aggregates')).map((f) => f.key), [
        'aggregates/page-views/dt=2026-11-26/y.parquet',
        'aggregates/page-views/dt=2026-11-27/x.parquet',
      ]);
      assert.deepEqual(await store.list('nothing-here'), []);
    });
  });
}
