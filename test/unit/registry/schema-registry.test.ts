import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SightlineError } from '../../../src/core/errors.js';
import { type RegistryRecord, registryRecordKey } from '../../../src/core/ports/schema-store.js';
import { EmbeddedLog } from '../../../src/log/embedded/embedded-log.js';
import { SchemaRegistry } from '../../../src/registry/schema-registry.js';
import { LogSchemaStore } from '../../../src/registry/store/log-schema-store.js';
import { MemorySchemaStore } from '../../../src/registry/store/memory-schema-store.js';
import { tempDir } from '../../helpers/tmp.js';

const avro = (fields: unknown[]) => ({ schema: JSON.stringify({ type: 'record', name: 'PageView', fields }) });
const V1 = avro([{ name: 'page', type: 'string' }]);
const V2 = avro([{ name: 'page', type: 'string' }, { name: 'ref', type: ['null', 'string'], default: null }]);
const BREAKING = avro([{ name: 'page', type: 'string' }, { name: 'user', type: 'string' }]);
const JSON_V1 = { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { page: { type: 'string' } }, required: ['page'] }) };

describe('schema registry', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: EmbeddedLog;
  let registry: SchemaRegistry;

  const open = async () => {
    log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    registry = await SchemaRegistry.open(await LogSchemaStore.open(log));
  };
  const restart = async () => {
    await registry.close();
    await log.close();
    await open();
  };
  const rejects = (work: Promise<unknown> | (() => unknown), code: string) =>
    assert.rejects(typeof work === 'function' ? Promise.resolve().then(work) : work, (err: Error & { code?: string }) => err.code === code);

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    await open();
  });
  afterEach(async () => {
    await registry.close();
    await log.close();
    await cleanup();
  });

  it('gives one id to one schema: again under the subject (no new version), and under another subject', async () => {
    const first = await registry.register('web.page_view', V1);
    assert.deepEqual(first, { id: 1, version: 1, created: true });
    assert.deepEqual(await registry.register('web.page_view', { schema: ` ${V1.schema} ` }), { id: 1, version: 1, created: false });
    assert.deepEqual(await registry.register('mobile.page_view', V1), { id: 1, version: 1, created: true });
    assert.deepEqual(await registry.register('web.page_view', V2), { id: 2, version: 2, created: true });
    assert.deepEqual(registry.usagesOfId(1), [{ subject: 'mobile.page_view', version: 1 }, { subject: 'web.page_view', version: 1 }]);
    assert.equal(registry.lookup('web.page_view', V2).version, 2);
    await rejects(() => registry.lookup('web.page_view', BREAKING), 'SL_SCHEMA_NOT_FOUND');
    await rejects(() => registry.lookup('nope', V1), 'SL_SCHEMA_SUBJECT_NOT_FOUND');
  });

  it('refuses an incompatible schema with the reason and stores nothing, even after a restart', async () => {
    await registry.register('web.page_view', V1);
    await assert.rejects(registry.register('web.page_view', BREAKING), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SL_SCHEMA_INCOMPATIBLE');
      assert.match(err.message, /READER_FIELD_MISSING_DEFAULT_VALUE/);
      assert.match(err.message, /The field 'user' at path '\/fields\/1' in the new schema has no default value/);
      assert.match(err.message, /oldSchemaVersion: 1/);
      return true;
    });
    await restart();
    assert.deepEqual(registry.listVersions('web.page_view'), [1]);
    await registry.setLevel('web.page_view', 'none');
    assert.equal((await registry.register('web.page_view', BREAKING)).version, 2, 'NONE lets it through');
  });

  it('refuses malformed schemas and unknown types without storing anything', async () => {
    await rejects(registry.register('s', { schema: '{"type":"record","name":"X"}' }), 'SL_SCHEMA_INVALID');
    await rejects(registry.register('s', { schema: 'not json' }), 'SL_SCHEMA_INVALID');
    await rejects(registry.register('s', { schema: '{"type":"object","properties":{"a":{"type":"strung"}}}', schemaType: 'JSON' }), 'SL_SCHEMA_INVALID');
    await rejects(registry.register('s', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }), 'SL_SCHEMA_INVALID');
    await rejects(registry.register('s', { schema: '   ' }), 'SL_SCHEMA_INVALID');
    await rejects(registry.register('', V1), 'SL_SCHEMA_SUBJECT_INVALID');
    assert.deepEqual(registry.listSubjects(), []);
    assert.equal(log.endOffsets('_schemas').get(0), 0, 'nothing written to the store');
  });

  it('keeps levels per subject and globally, with 40408 semantics for a subject without one', async () => {
    assert.equal(registry.getLevel(null), 'BACKWARD');
    await rejects(() => registry.getLevel('web.page_view'), 'SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED');
    assert.equal(registry.getLevel('web.page_view', { defaultToGlobal: true }), 'BACKWARD');
    await registry.setLevel(null, 'full_transitive');
    await registry.setLevel('web.page_view', 'FORWARD');
    await rejects(registry.setLevel('web.page_view', 'SIDEWAYS'), 'SL_SCHEMA_COMPATIBILITY_INVALID');
    await restart();
    assert.equal(registry.getLevel(null), 'FULL_TRANSITIVE');
    assert.equal(registry.getLevel('web.page_view'), 'FORWARD');
    assert.equal(await registry.deleteLevel('web.page_view'), 'FORWARD');
    assert.equal(registry.effectiveLevel('web.page_view'), 'FULL_TRANSITIVE');
    await rejects(registry.deleteLevel('web.page_view'), 'SL_SCHEMA_SUBJECT_NOT_FOUND');
  });

  it('soft deletes, then deletes permanently, in that order; versions keep counting', async () => {
    await registry.register('web.page_view', V1);
    await registry.register('web.page_view', V2);
    await rejects(registry.deleteVersion('web.page_view', 1, true), 'SL_SCHEMA_VERSION_NOT_SOFT_DELETED');
    assert.equal(await registry.deleteVersion('web.page_view', 1, false), 1);
    await rejects(registry.deleteVersion('web.page_view', 1, false), 'SL_SCHEMA_VERSION_SOFT_DELETED');
    assert.deepEqual(registry.listVersions('web.page_view'), [2]);
    assert.deepEqual(registry.listVersions('web.page_view', { deleted: true }), [1, 2]);
    assert.equal(registry.schemaById(1).schemaType, 'AVRO', 'a soft-deleted schema still decodes');
    await rejects(registry.deleteSubject('web.page_view', true), 'SL_SCHEMA_SUBJECT_NOT_SOFT_DELETED');
    assert.deepEqual(await registry.deleteSubject('web.page_view', false), [2]);
    await rejects(registry.deleteSubject('web.page_view', false), 'SL_SCHEMA_SUBJECT_SOFT_DELETED');
    assert.deepEqual(registry.listSubjects(), []);
    assert.deepEqual(registry.listSubjects({ deleted: true }), ['web.page_view']);
    assert.equal((await registry.register('web.page_view', JSON_V1)).version, 3, 'numbering continues after a soft delete');
    await registry.deleteSubject('web.page_view', false);
    assert.deepEqual(await registry.deleteSubject('web.page_view', true), [1, 2, 3]);
    await restart();
    assert.deepEqual(registry.listSubjects({ deleted: true }), []);
    await rejects(() => registry.schemaById(1), 'SL_SCHEMA_NOT_FOUND');
    assert.deepEqual(await registry.register('web.page_view', V1), { id: 4, version: 1, created: true }, 'ids are never reused');
  });

  it('deprecates a version with a sunset date, and remembers it across a restart', async () => {
    await registry.register('web.page_view', V1);
    const sunsetAt = Date.UTC(2027, 0, 1);
    const deprecated = await registry.deprecate('web.page_view', 1, { sunsetAt });
    assert.equal(deprecated.sunsetAt, sunsetAt);
    assert.ok(deprecated.deprecatedAt! > 0);
    await restart();
    assert.equal(registry.getVersion('web.page_view', 1).sunsetAt, sunsetAt);
    const lifted = await registry.deprecate('web.page_view', 'latest', null);
    assert.equal(lifted.deprecatedAt, undefined);
    await rejects(registry.deprecate('web.page_view', 9, {}), 'SL_SCHEMA_VERSION_NOT_FOUND');
  });

  it('hands out dense ids and versions to concurrent registrations', async () => {
    await registry.setLevel(null, 'NONE');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registry.register('s', avro([{ name: `f${i}`, type: 'int' }]))),
    );
    assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(new Set(results.map((r) => r.id)).size, 10);
  });
});

describe('schema registry, store failures', () => {
  const avroV1 = { schema: JSON.stringify({ type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] }) };

  it('applies nothing when the store cannot write, and reports SL_REGISTRY_STORE_FAILED', async () => {
    let fail = false;
    class FailingStore extends MemorySchemaStore {
      protected override async append(records: readonly RegistryRecord[]): Promise<void> {
        if (fail) throw new SightlineError('SL_REGISTRY_STORE_FAILED', 'disk full');
        await super.append(records);
      }
    }
    const registry = await SchemaRegistry.open(new FailingStore());
    fail = true;
    await assert.rejects(registry.register('s', avroV1), (err: Error & { code?: string }) => err.code === 'SL_REGISTRY_STORE_FAILED');
    assert.deepEqual(registry.listSubjects({ deleted: true }), []);
    fail = false;
    assert.deepEqual(await registry.register('s', avroV1), { id: 1, version: 1, created: true }, 'the failed attempt used no id');
  });

  it('refuses to start on a stored schema that does not load, naming it', async () => {
    const bad: RegistryRecord = { kind: 'schema', subject: 's', version: 1, id: 1, schemaType: 'AVRO', schema: '{"type":"nope"}', deleted: false, registeredAt: 0 };
    await assert.rejects(SchemaRegistry.open(new MemorySchemaStore([bad])), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SL_REGISTRY_STORE_FAILED');
      assert.match(err.message, /stored subject "s" version 1 does not load/);
      return true;
    });
  });
});

describe('schema registry on a compacted store', () => {
  it('never reuses an id, even when compaction drops the tombstone that held the highest one', async () => {
    // Keeps the latest record per key, as a compacted Kafka topic eventually does.
    const compacted = (records: RegistryRecord[]): RegistryRecord[] => {
      const latest = new Map<string, RegistryRecord>();
      for (const r of records) {
        latest.delete(registryRecordKey(r));
        latest.set(registryRecordKey(r), r);
      }
      return [...latest.values()];
    };
    const store = new MemorySchemaStore();
    const schema = (name: string) => ({ schema: JSON.stringify({ type: 'record', name, fields: [] }) });
    let registry = await SchemaRegistry.open(store);
    await registry.register('a', schema('X'));
    assert.equal((await registry.register('b', schema('Y'))).id, 2);
    await registry.deleteSubject('b', false);
    await registry.deleteSubject('b', true);
    assert.equal((await registry.register('b', schema('X'))).id, 1, 'the same schema keeps its id');
    assert.equal(compacted(store.records).some((r) => r.kind === 'schema-tombstone' && r.id === 2), false, 'compaction dropped the tombstone of id 2');
    registry = await SchemaRegistry.open(new MemorySchemaStore(compacted(store.records)));
    assert.equal((await registry.register('c', schema('Z'))).id, 3);
  });
});
