import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ContractChecker } from '../../../src/contracts/contract-checker.js';
import { ContractStats } from '../../../src/contracts/contract-stats.js';
import type { SightlineEvent } from '../../../src/core/envelope.js';
import { MemorySchemaStore } from '../../../src/registry/store/memory-schema-store.js';
import { SchemaRegistry } from '../../../src/registry/schema-registry.js';

/** The port held in memory: enough for the checker, whose persistence is not under test here. */

const event = (type: string, payload: Record<string, unknown>, metadata: Record<string, unknown> = {}): SightlineEvent => ({
  id: 'e1',
  source: 'web',
  type,
  timestamp: 0,
  payload,
  metadata,
});

describe('contract checker', () => {
  it('accepts events without a contract, unvalidated and counted, when contracts.unknown is accept', async () => {
    const registry = await SchemaRegistry.open(new MemorySchemaStore());
    const stats = new ContractStats(new Registry());
    const checker = new ContractChecker(registry, 'accept', stats);
    const e = event('click', { anything: true });
    assert.deepEqual(checker.check(e, 0), { ok: true });
    assert.deepEqual(e.metadata, {}, 'no contract stamp without a contract');
    assert.deepEqual(stats.forSubject('web.click'), { none: { unknown_accepted: 1 } });
  });

  it('refuses a malformed pin, an unknown schema id, and validates against a pinned id', async () => {
    const registry = await SchemaRegistry.open(new MemorySchemaStore());
    const { id } = await registry.register('web.click', { schemaType: 'JSON', schema: '{"type":"object","required":["x"]}' });
    const checker = new ContractChecker(registry, 'reject', new ContractStats(new Registry()));
    assert.equal((checker.check(event('click', {}, { schemaId: 'one' }), 0) as { code: string }).code, 'SL_EVENT_FIELD_INVALID');
    assert.equal((checker.check(event('click', {}, { schemaVersion: 0 }), 0) as { code: string }).code, 'SL_EVENT_FIELD_INVALID');
    assert.equal((checker.check(event('click', {}, { schemaId: 42 }), 0) as { code: string }).code, 'SL_CONTRACT_UNKNOWN');
    assert.equal((checker.check(event('click', {}, { schemaId: id }), 0) as { code: string }).code, 'SL_CONTRACT_VIOLATION');
    const ok = event('other', { x: 1 }, { schemaId: id });
    assert.deepEqual(checker.check(ok, 0), { ok: true });
    assert.deepEqual(ok.metadata.contract, { subject: 'web.click', version: 1, id }, 'an id registered under another subject is that subject’s contract');
  });

  it('holds an id from another subject to that subject’s deprecation and sunset', async () => {
    const registry = await SchemaRegistry.open(new MemorySchemaStore());
    const { id } = await registry.register('orders-value', { schemaType: 'JSON', schema: '{"type":"object"}' });
    const stats = new ContractStats(new Registry());
    const checker = new ContractChecker(registry, 'reject', stats);
    await registry.deprecate('orders-value', 1, { sunsetAt: Date.UTC(2001, 0, 1) });
    const refused = checker.check(event('order', {}, { schemaId: id }), Date.now());
    assert.equal((refused as { code: string }).code, 'SL_CONTRACT_SUNSET');
    assert.deepEqual(stats.forSubject('orders-value'), { 1: { sunset: 1 } });
  });

  it('drops a contract stamp the producer sent: only ingest says which contract an event passed', async () => {
    const registry = await SchemaRegistry.open(new MemorySchemaStore());
    const checker = new ContractChecker(registry, 'accept', new ContractStats(new Registry()));
    const forged = event('click', {}, { contract: { subject: 'web.click', version: 3, id: 9 }, other: 1 });
    assert.deepEqual(checker.check(forged, 0), { ok: true });
    assert.deepEqual(forged.metadata, { other: 1 });
  });

  it('shares one series among subjects past the cap, so producers cannot grow the metrics without bound', () => {
    const stats = new ContractStats(new Registry());
    for (let i = 0; i < 1005; i++) stats.count(`s${i}.t`, null, 'unknown_rejected');
    assert.equal(stats.subjects().length, 1001);
    assert.deepEqual(stats.forSubject('(other)'), { none: { unknown_rejected: 5 } });
  });
});
