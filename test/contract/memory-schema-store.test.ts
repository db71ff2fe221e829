import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryRecord } from '../../src/core/ports/schema-store.js';
import { MemorySchemaStore } from '../../src/registry/store/memory-schema-store.js';
import { schemaStoreContract } from './schema-store.contract.js';

schemaStoreContract('in memory, every store on one records array a node of the same storage', {
  async open() {
    // The storage: every store opened on this array, at once or after another closed, shares it.
    const records: RegistryRecord[] = [];
    const stores: MemorySchemaStore[] = [];
    const openStore = async () => {
      const store = new MemorySchemaStore(records);
      stores.push(store);
      return store;
    };
    return {
      store: await openStore(),
      peer: openStore,
      reopen: openStore,
      teardown: async () => {
        for (const store of stores) await store.close();
      },
    };
  },
});

describe('in-memory schema store, beyond the contract', () => {
  const config = (compatibility: 'FULL' | 'NONE'): RegistryRecord => ({ kind: 'config', subject: null, compatibility });

  it('a node that cannot apply another node’s record stops taking changes; the writer’s change stands', async () => {
    const records: RegistryRecord[] = [];
    const writer = new MemorySchemaStore(records);
    const broken = new MemorySchemaStore(records);
    const seen: RegistryRecord[] = [];
    await writer.follow((batch) => seen.push(...batch));
    await broken.follow((batch) => {
      if (batch.length > 0) throw new Error('does not load');
    });
    // As on a log: a follower elsewhere failing is that node's problem, not the writer's.
    assert.equal(await writer.exclusive(() => ({ records: [config('FULL')], result: 'stored' })), 'stored');
    assert.deepEqual(seen, [config('FULL')]);
    // Computing a change on a state it could not apply would diverge from the other nodes.
    await assert.rejects(
      broken.exclusive(() => ({ records: [config('NONE')], result: undefined })),
      /does not load/,
    );
    await writer.exclusive(() => ({ records: [config('NONE')], result: undefined }));
    assert.deepEqual(records, [config('FULL'), config('NONE')]);
    assert.deepEqual(seen, records);
    await Promise.all([writer.close(), broken.close()]);
  });
});
