import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryRecord, SchemaStore } from '../../src/core/ports/schema-store.js';

export interface SchemaStoreSubject {
  /** A store on fresh storage; `reopen` opens the same storage again, as a restart does. */
  open(): Promise<{ store: SchemaStore; reopen: () => Promise<SchemaStore>; teardown: () => Promise<void> }>;
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

/** The contract every SchemaStore adapter passes. */
export function schemaStoreContract(name: string, subject: SchemaStoreSubject): void {
  describe(`SchemaStore contract: ${name}`, () => {
    it('starts empty', async () => {
      const { store, teardown } = await subject.open();
      assert.deepEqual(await store.readAll(), []);
      await store.close();
      await teardown();
    });

    it('gives back every record in the order written, after a reopen too', async () => {
      const { store, reopen, teardown } = await subject.open();
      const records: RegistryRecord[] = [
        { kind: 'ids', maxId: 1 },
        schema(1, 1),
        { kind: 'config', subject: null, compatibility: 'FULL' },
        { ...schema(1, 1), deleted: true } as RegistryRecord,
        { kind: 'schema-tombstone', subject: 'web.page_view', version: 1, id: 1 },
        { kind: 'config', subject: 'web.page_view', compatibility: null },
      ];
      for (const r of records) await store.append(r);
      assert.deepEqual(await store.readAll(), records);
      await store.close();
      const again = await reopen();
      assert.deepEqual(await again.readAll(), records);
      await again.append(schema(2, 2));
      assert.deepEqual((await again.readAll()).at(-1), schema(2, 2));
      await again.close();
      await teardown();
    });

    it('keeps appends made concurrently, each exactly once', async () => {
      const { store, teardown } = await subject.open();
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(schema(i + 1, i + 1))));
      const versions = (await store.readAll()).map((r) => (r as { version: number }).version).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 20 }, (_, i) => i + 1));
      await store.close();
      await teardown();
    });
  });
}
