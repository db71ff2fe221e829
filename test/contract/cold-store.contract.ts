import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { ColdStore } from '../../src/core/ports/cold-store.js';

const keysOf = (objects: ReadonlyArray<{ key: string }>): string[] => objects.map((o) => o.key);

/** The contract every ColdStore adapter passes. */
export function coldStoreContract(name: string, open: () => Promise<{ store: ColdStore; teardown: () => Promise<void> }>): void {
  describe(`ColdStore contract: ${name}`, () => {
    let store: ColdStore;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ store, teardown } = await open());
    });
    after(async () => teardown());

    async function putText(key: string, text: string | Buffer): Promise<void> {
      const staged = store.stagingPath(key.replaceAll('/', '_'));
      await writeFile(staged, text);
      await store.put(key, staged);
    }

    it('publishes a staged file under its key and lists it with its size and time', async () => {
      const before = Date.now();
      await putText('events/dt=2026-11-26/part-1.parquet', 'PAR1-first');
      const listed = await store.list('events');
      assert.deepEqual(keysOf(listed), ['events/dt=2026-11-26/part-1.parquet']);
      assert.equal(listed[0]!.bytes, 10);
      // Stores keep times in whole seconds (S3) or finer: allow the rounding.
      assert.ok(listed[0]!.modifiedAt >= before - 1000 && listed[0]!.modifiedAt <= Date.now() + 1000, String(listed[0]!.modifiedAt));
      assert.equal((await store.read('events/dt=2026-11-26/part-1.parquet'))?.toString(), 'PAR1-first');
    });

    it('replaces a file put again under the same key (an export re-run after a crash)', async () => {
      await putText('events/dt=2026-11-26/part-1.parquet', 'PAR1-second-version');
      const listed = await store.list('events');
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.bytes, 19);
    });

    it('never lists staged files that are not published yet', async () => {
      await writeFile(store.stagingPath('pending.parquet'), 'PAR1');
      assert.ok(keysOf(await store.list('')).every((k) => !k.includes('pending')));
    });

    it('lists by prefix, sorted, including a prefix that ends inside a name', async () => {
      for (const key of ['aggregates/page-views/dt=2026-11-27/x.parquet', 'aggregates/page-views/dt=2026-11-26/y.parquet', 'aggregates/page-views-2/dt=2026-11-26/z.parquet']) {
        await putText(key, 'PAR1');
      }
      assert.deepEqual(keysOf(await store.list('aggregates/page-views/')), [
        'aggregates/page-views/dt=2026-11-26/y.parquet',
        'aggregates/page-views/dt=2026-11-27/x.parquet',
      ]);
      assert.deepEqual(keysOf(await store.list('aggregates/page-views/dt=2026-11-2')), [
        'aggregates/page-views/dt=2026-11-26/y.parquet',
        'aggregates/page-views/dt=2026-11-27/x.parquet',
      ]);
      assert.deepEqual(await store.list('nothing-here'), []);
    });

    it('reads, downloads and removes objects; missing ones are undefined, false, and no error', async () => {
      await putText('tables/t/data/a.parquet', 'AAAA');
      assert.equal(await store.read('tables/t/data/missing.parquet'), undefined);
      const local = store.stagingPath('downloaded');
      assert.equal(await store.download('tables/t/data/a.parquet', local), true);
      assert.equal(await readFile(local, 'utf8'), 'AAAA');
      assert.equal(await store.download('tables/t/data/missing.parquet', store.stagingPath('nothing')), false);
      await store.remove(['tables/t/data/a.parquet', 'tables/t/data/never-was.parquet']);
      assert.deepEqual(await store.list('tables/t/'), []);
      assert.equal(await store.read('tables/t/data/a.parquet'), undefined);
    });

    it('copies an object to another key, leaving the original; a missing one is false', async () => {
      await putText('events/dt=2026-11-01/old.parquet', 'PAR1-to-tier');
      assert.equal(await store.copy('events/dt=2026-11-01/old.parquet', 'tier/events/dt=2026-11-01/old.parquet'), true);
      assert.equal((await store.read('tier/events/dt=2026-11-01/old.parquet'))?.toString(), 'PAR1-to-tier');
      assert.equal((await store.read('events/dt=2026-11-01/old.parquet'))?.toString(), 'PAR1-to-tier');
      assert.equal(await store.copy('events/dt=2026-11-01/missing.parquet', 'tier/x.parquet'), false);
      await store.remove(['events/dt=2026-11-01/old.parquet', 'tier/events/dt=2026-11-01/old.parquet']);
    });

    it('writes small objects whole, and replaces them unless asked to write only where nothing is', async () => {
      assert.equal(await store.write('tables/t/metadata/v1.metadata.json', Buffer.from('{"v":1}')), true);
      assert.equal(await store.write('tables/t/metadata/v1.metadata.json', Buffer.from('{"v":1,"again":true}')), true);
      assert.equal((await store.read('tables/t/metadata/v1.metadata.json'))?.toString(), '{"v":1,"again":true}');
      assert.equal(await store.write('tables/t/metadata/v1.metadata.json', Buffer.from('{"lost":true}'), { ifAbsent: true }), false);
      assert.equal((await store.read('tables/t/metadata/v1.metadata.json'))?.toString(), '{"v":1,"again":true}');
      assert.equal(await store.write('tables/t/metadata/v2.metadata.json', Buffer.from('{"v":2}'), { ifAbsent: true }), true);
    });

    it('lets exactly one of many racing writers create a key (the table commit relies on it)', async () => {
      const racers = Array.from({ length: 12 }, (_, i) => store.write('tables/t/metadata/v3.metadata.json', Buffer.from(`{"writer":${i}}`), { ifAbsent: true }));
      const won = (await Promise.all(racers)).map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0);
      assert.equal(won.length, 1, `winners: ${won.join(', ')}`);
      assert.equal((await store.read('tables/t/metadata/v3.metadata.json'))?.toString(), `{"writer":${won[0]}}`);
    });

    it('uploads a file larger than one part whole and byte for byte (multipart on object stores)', async () => {
      const body = randomBytes(12 * 1024 * 1024 + 123);
      const staged = store.stagingPath('large');
      await writeFile(staged, body);
      await store.put('events/dt=2026-11-28/large.parquet', staged);
      await assert.rejects(stat(staged), /ENOENT/, 'the staged file is gone after put');
      const listed = await store.list('events/dt=2026-11-28/');
      assert.deepEqual(listed.map((o) => [o.key, o.bytes]), [['events/dt=2026-11-28/large.parquet', body.length]]);
      assert.ok((await store.read('events/dt=2026-11-28/large.parquet'))!.equals(body));
    });
  });
}
