import { SightlineError } from '../../core/errors.js';
import type { Log } from '../../core/ports/log.js';
import { type RegistryRecord, registryRecordKey, type SchemaStore } from '../../core/ports/schema-store.js';

export const SCHEMAS_TOPIC = '_schemas';
const READER_GROUP = 'sightline-registry';
const READ_BATCH = 1000;

/**
 * The registry's records as a one-partition topic of the platform's log, keyed so that a
 * compacted topic keeps each key's latest record: the embedded log in `sightline up`, Kafka in a
 * distributed deployment. One partition keeps every record in the order it was written.
 */
export class LogSchemaStore implements SchemaStore {
  private constructor(private readonly log: Log, private readonly topic: string) {}

  static async open(log: Log, topic = SCHEMAS_TOPIC): Promise<LogSchemaStore> {
    await log.ensureTopic(topic, { partitions: 1 });
    if (log.partitionCount(topic) !== 1) {
      throw new SightlineError('SL_REGISTRY_STORE_FAILED', `the registry topic "${topic}" must have exactly one partition, it has ${log.partitionCount(topic)}`);
    }
    return new LogSchemaStore(log, topic);
  }

  async readAll(): Promise<RegistryRecord[]> {
    const consumer = await this.log.consumer(READER_GROUP, this.topic);
    try {
      const start = this.log.startOffsets(this.topic).get(0) ?? 0;
      const end = this.log.endOffsets(this.topic).get(0) ?? 0;
      consumer.seek(0, start);
      const records: RegistryRecord[] = [];
      while ((consumer.positions().get(0) ?? 0) < end) {
        for (const r of await consumer.poll(READ_BATCH, 1000)) {
          if (r.offset >= end) break;
          records.push(decode(r.value, r.offset));
        }
      }
      return records;
    } finally {
      await consumer.close();
    }
  }

  async append(record: RegistryRecord): Promise<void> {
    try {
      await this.log.append(this.topic, [{ key: registryRecordKey(record), value: Buffer.from(JSON.stringify(record)), timestamp: Date.now() }]);
    } catch (err) {
      throw new SightlineError('SL_REGISTRY_STORE_FAILED', `could not store the registry change: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {}
}

function decode(value: Buffer, offset: number): RegistryRecord {
  try {
    const record = JSON.parse(value.toString('utf8')) as RegistryRecord;
    if (record.kind === 'schema' || record.kind === 'schema-tombstone' || record.kind === 'config' || record.kind === 'ids') return record;
  } catch {
    // reported below
  }
  throw new SightlineError('SL_REGISTRY_STORE_FAILED', `registry record at offset ${offset} is not one this version of Sightline wrote`);
}
