import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryRecord, SchemaStore } from '../../src/core/ports/schema-store.js';

export interface SchemaStoreSubject {
  /**
   * A store on fresh storage. `peer` opens another store on the same storage, as another node of
   * the deployment does (both stay open); `reopen` opens the storage again after the store was
   * closed, as a restart does. `teardown` closes every store and log the subject opened.
   */
  open(): Promise<{ store: SchemaStore; peer: () => Promise<SchemaStore>; reopen: () => Promise<SchemaStore>; teardown: () => Promise<void> }>;
}

const schema = (version: number, id: number): RegistryRecord => ({
  kind: 'schema',
  subject: 'web.page_view',
  version,
  id,
  schemaType: 'JSON',
  schema: '{"type":"object"}',
  deleted: false,
  registeredAt: 1,
});

/** Follows the store; the array fills as records are delivered. */
async function follow(store: SchemaStore): Promise<RegistryRecord[]> {
  const seen: RegistryRecord[] = [];
  await store.follow((records) => seen.push(...records));
  return seen;
}

/** The next version after those delivered so far, as a registry computes it. */
const nextVersion = (seen: RegistryRecord[]) => () => {
  const version = seen.length + 1;
  return { records: [schema(version, version)], result: version };
};

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The contract every SchemaStore adapter passes. */
export function schemaStoreContract(name: string, subject: SchemaStoreSubject): void {
  describe(`SchemaStore contract: ${name}`, () => {
    it('starts empty; a change without records appends nothing', async (t) => {
      const { store, reopen, teardown } = await subject.open();
      t.after(teardown);
      const seen = await follow(store);
      assert.deepEqual(seen, []);
      assert.equal(await store.exclusive(() => ({ records: [], result: 'nothing' })), 'nothing');
      assert.deepEqual(seen, []);
      await store.close();
      const again = await reopen();
      assert.deepEqual(await follow(again), []);
      await again.close();
    });

    it('delivers every record in the order written, its own before exclusive resolves, and all of them after a reopen', async (t) => {
      const { store, reopen, teardown } = await subject.open();
      t.after(teardown);
      const seen = await follow(store);
      const records: RegistryRecord[] = [
        { kind: 'ids', maxId: 1 },
        schema(1, 1),
        { kind: 'config', subject: null, compatibility: 'FULL' },
        { ...schema(1, 1), deleted: true } as RegistryRecord,
        { kind: 'schema-tombstone', subject: 'web.page_view', version: 1, id: 1 },
        { kind: 'config', subject: 'web.page_view', compatibility: null },
      ];
      await store.exclusive(() => ({ records: records.slice(0, 2), result: undefined }));
      assert.deepEqual(seen, records.slice(0, 2), 'read back before exclusive resolved');
      for (const r of records.slice(2)) await store.exclusive(() => ({ records: [r], result: undefined }));
      assert.deepEqual(seen, records);
      await store.close();
      const again = await reopen();
      const replayed = await follow(again);
      assert.deepEqual(replayed, records);
      await again.exclusive(() => ({ records: [schema(2, 2)], result: undefined }));
      assert.deepEqual(replayed.at(-1), schema(2, 2));
      await again.close();
    });

    it('runs concurrent changes one at a time, each on the state the previous one left', async (t) => {
      const { store, teardown } = await subject.open();
      t.after(teardown);
      const seen = await follow(store);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.exclusive(nextVersion(seen))));
      assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.deepEqual(seen.map((r) => (r as { version: number }).version), Array.from({ length: 20 }, (_, i) => i + 1));
      await store.close();
    });

    it('appends nothing when the change throws, and passes its error on', async (t) => {
      const { store, teardown } = await subject.open();
      t.after(teardown);
      const seen = await follow(store);
      await assert.rejects(
        store.exclusive(() => {
          throw new Error('refused');
        }),
        /refused/,
      );
      await store.exclusive(nextVersion(seen));
      assert.deepEqual(seen, [schema(1, 1)]);
      await store.close();
    });

    it('refuses to follow past a record the follower cannot apply', async (t) => {
      const { store, reopen, teardown } = await subject.open();
      t.after(teardown);
      await follow(store);
      await store.exclusive(() => ({ records: [schema(1, 1)], result: undefined }));
      await store.close();
      const again = await reopen();
      await assert.rejects(
        again.follow(() => {
          throw new Error('does not load');
        }),
        /does not load/,
      );
      await again.close();
    });

    it('delivers one node’s changes to another node on the same storage', async (t) => {
      const { store, peer, teardown } = await subject.open();
      t.after(teardown);
      const seenA = await follow(store);
      const other = await peer();
      const seenB = await follow(other);
      await store.exclusive(() => ({ records: [schema(1, 1)], result: undefined }));
      await until('node B sees node A’s record', () => seenB.length === 1);
      await other.exclusive(() => ({ records: [{ kind: 'config', subject: null, compatibility: 'NONE' }], result: undefined }));
      await until('node A sees node B’s record', () => seenA.length === 2);
      assert.deepEqual(seenA, seenB);
      await Promise.all([store.close(), other.close()]);
    });

    it('serialises changes across nodes: concurrent changes on two nodes each see all before them', async (t) => {
      const { store, peer, teardown } = await subject.open();
      t.after(teardown);
      const seenA = await follow(store);
      const other = await peer();
      const seenB = await follow(other);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? store.exclusive(nextVersion(seenA)) : other.exclusive(nextVersion(seenB)))),
      );
      const all = Array.from({ length: 40 }, (_, i) => i + 1);
      assert.deepEqual([...results].sort((a, b) => a - b), all, 'each version handed out once');
      await until('both nodes have all 40', () => seenA.length === 40 && seenB.length === 40);
      assert.deepEqual(seenA.map((r) => (r as { version: number }).version), all);
      assert.deepEqual(seenB, seenA);
      // A node that starts afterwards reads the same, whatever the race left between the records
      // (on Kafka: transactions aborted by fencing, some with records, some with a marker only).
      const late = await peer();
      assert.deepEqual(await follow(late), seenA);
      await Promise.all([store.close(), other.close(), late.close()]);
    });
  });
}
