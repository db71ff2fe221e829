import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka';
import { pino } from 'pino';
import { decodeBatches } from '../../../src/log/kafka/fetched-records.js';
import { KAFKA_LOG_DEFAULTS, resolveKafkaLogOptions } from '../../../src/log/kafka/options.js';
import { TopicTable } from '../../../src/log/kafka/topic-table.js';

const logger = pino({ level: 'silent' });
const base = { bootstrap: ['127.0.0.1:9092'], clientId: 'c', topicDefaults: { replicationFactor: 3, minInsyncReplicas: 2 }, logger };

describe('Kafka log options', () => {
  it('fills defaults and keeps what is given', () => {
    const resolved = resolveKafkaLogOptions({ ...base, appendTimeoutMs: 5000 });
    assert.equal(resolved.appendTimeoutMs, 5000);
    assert.equal(resolved.offsetRefreshMs, KAFKA_LOG_DEFAULTS.offsetRefreshMs);
    assert.equal(resolved.topicPrefix, '');
    assert.deepEqual(resolved.topics, {});
  });

  it('refuses what the cluster would refuse later, with SL_CONFIG_INVALID', () => {
    for (const bad of [
      { ...base, bootstrap: [] },
      { ...base, bootstrap: ['no-port'] },
      { ...base, clientId: '' },
      { ...base, topicDefaults: { replicationFactor: 0 } },
      { ...base, topicDefaults: { replicationFactor: 1, minInsyncReplicas: 2 } },
      { ...base, topicDefaults: { replicationFactor: 1, retentionMs: 0 } },
      { ...base, appendTimeoutMs: -1 },
    ]) {
      assert.throws(() => resolveKafkaLogOptions(bad), { code: 'SL_CONFIG_INVALID' }, JSON.stringify({ ...bad, logger: undefined }));
    }
  });
});

describe('fetched record batches', () => {
  const record = (offsetDelta: number, key: string) => ({
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(offsetDelta),
    offsetDelta,
    key: Buffer.from(key),
    value: Buffer.from(`v-${key}`),
    headers: [[Buffer.from('traceparent'), Buffer.from(`tp-${key}`)]] as [Buffer, Buffer][],
  });
  const batch = (firstOffset: number, keys: string[], attributes = 0): RecordsBatch => ({
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: keys.length - 1,
    firstTimestamp: 1000n,
    maxTimestamp: 1000n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: keys.map((k, i) => record(i, k)),
  });

  it('skips records before the fetch offset and control batches, and fetches on after the last batch', () => {
    const { records, next } = decodeBatches('t', 2, [batch(10, ['a', 'b', 'c']), batch(13, ['marker'], IS_CONTROL), batch(14, ['d'])], 11);
    assert.deepEqual(records.map((r) => [r.offset, r.key]), [[11, 'b'], [12, 'c'], [14, 'd']]);
    assert.deepEqual(records[0], { topic: 't', partition: 2, offset: 11, key: 'b', value: Buffer.from('v-b'), timestamp: 1001, headers: { traceparent: 'tp-b' } });
    assert.equal(next, 15);
  });

  it('moves past a fetch that held only a control batch', () => {
    assert.deepEqual(decodeBatches('t', 0, [batch(5, ['commit'], IS_CONTROL)], 5), { records: [], next: 6 });
  });

  it('drops every aborted transaction of a producer id, not only its last (read_committed)', () => {
    // Writers sharing a transactional id share a producer id; two of its transactions aborted here.
    const txn = (firstOffset: number, keys: string[]): RecordsBatch => ({ ...batch(firstOffset, keys, IS_TRANSACTIONAL), producerId: 7n });
    const marker = (offset: number, type: 0 | 1): RecordsBatch => {
      const b = txn(offset, ['m']);
      const key = Buffer.alloc(4);
      key.writeInt16BE(type, 2);
      return { ...b, attributes: IS_TRANSACTIONAL | IS_CONTROL, records: [{ ...b.records[0]!, key }] };
    };
    const batches = [txn(0, ['a']), marker(1, 0), txn(2, ['b']), marker(3, 1), txn(4, ['c', 'd']), marker(6, 0), txn(7, ['e']), marker(8, 1)];
    const aborted = [
      { producerId: 7n, firstOffset: 4n },
      { producerId: 7n, firstOffset: 0n },
    ];
    const { records, next } = decodeBatches('t', 0, batches, 0, aborted);
    assert.deepEqual(records.map((r) => [r.offset, r.key]), [[2, 'b'], [7, 'e']]);
    assert.equal(next, 9);
    assert.deepEqual(decodeBatches('t', 0, batches, 0).records.map((r) => r.key), ['a', 'b', 'c', 'd', 'e'], 'without the list every batch is a record');
  });
});

describe('topic table', () => {
  it('only moves offsets forward, whatever order the answers arrive in', () => {
    const table = new TopicTable();
    table.add('t', 2);
    table.advanceEnd('t', 0, 10);
    table.advanceEnd('t', 0, 7);
    table.advanceStart('t', 1, 3);
    table.advanceStart('t', 1, 1);
    table.advanceEnd('t', 5, 99);
    assert.deepEqual(table.endOffsets('t'), new Map([[0, 10], [1, 0]]));
    assert.deepEqual(table.startOffsets('t'), new Map([[0, 0], [1, 3]]));
    assert.throws(() => table.partitionCount('u'), { code: 'SL_LOG_TOPIC_UNKNOWN' });
  });
});
