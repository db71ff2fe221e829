import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ContractChecker } from '../../../src/contracts/contract-checker.js';
import { ContractStats } from '../../../src/contracts/contract-stats.js';
import type { SightlineEvent } from '../../../src/core/envelope.js';
import type { RegistryRecord, SchemaStore } from '../../../src/core/ports/schema-store.js';
import { SchemaRegistry } from '../../../src/registry/schema-registry.js';

/** The port held in memory: enough for the checker, whose persistence is not under test here. */
function memoryStore(): SchemaStore {
  const records: RegistryRecord[] = [];
  return { readAll: async () => [...records], append: async (r) => void records.push(r), close: async () => undefined };
}

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
    const registry = await SchemaRegistry.open(memoryStore());
    const stats = new ContractStats(new Registry());
    const checker = new ContractChecker(registry, 'accept', stats);
    const e = event('click', { anything: true });
    assert.deepEqual(checker.check(e, 0), { ok: true });
    assert.deepEqual(e.metadata, {}, 'no contract stamp without a contract');
    assert.deepEqual(stats.forSubject('web.click'), { none: { unknown_accepted: 1 } });
  });

  it('refuses a malformed pin, an unknown schema id, and validates against a pinned id', async () => {
    const registry = await SchemaRegistry.open(memoryStore());
    const { id } = await registry.register('web.click', { schemaType: 'JSON', schema: '{"type":"object","required":["x"]}' });
    const checker = new ContractChecker(registry, 'reject', new ContractStats(new Registry()));
    assert.equal((checker.check(event('click', {}, { schemaId: 'one' }), 0) as { code: string }).code, 'SL_EVENT_FIELD_INVALID');
    assert.equal((checker.check(event('click', {}, { schemaVersion: 0 }), 0) as { code: string }).code, 'SL_EVENT_FIELD_INVALID');
    assert.equal((checker.check(event('click', {}, { schemaId: 42 }), 0) as { code: string }).code, 'SL_CONTRACT_UNKNOWN');
    assert.equal((checker.check(event('click', {}, { schemaId: id }), 0) as { code: string }).code, 'SL_CONTRACT_VIOLATION');
    const ok = event('other', { x: 1 }, { schemaId: id });
    assert.deepEqual(checker.check(ok, 0), { ok: true });
    assert.deepEqual(ok.metadata.contract, { subject: 'web.other', version: null, id }, 'an id from another subject carries no version of this one');
  });
});
