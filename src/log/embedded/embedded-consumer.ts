import { SightlineError } from '../../core/errors.js';
import { checkCommitPartitions } from '../../core/group-assignment.js';
import type { LogConsumer, LogRecord, PartitionOffsets } from '../../core/ports/log.js';
import type { DecodedRecord } from './record-codec.js';

/** What a consumer reads through: the embedded log, seen from below so the two files do not import each other. */
export interface ConsumedLog {
  waitForData(ms: number): Promise<void>;
  endOffsets(topic: string): PartitionOffsets;
  readPartition(topic: string, partition: number, offset: number, maxBytes: number, maxRecords: number): Promise<DecodedRecord[]>;
  commitOffsets(group: string, topic: string, offsets: PartitionOffsets): Promise<void>;
}

const READ_BYTES_PER_PARTITION = 1 << 20;

/** Reads the partitions it was given (the keys of `start`), round robin, so no partition starves another. */
export class EmbeddedConsumer implements LogConsumer {
  private readonly position: PartitionOffsets;
  private readonly partitions: number[];
  private nextPartition = 0;
  private closed = false;

  constructor(private readonly log: ConsumedLog, readonly group: string, readonly topic: string, start: PartitionOffsets) {
    this.position = new Map(start);
    this.partitions = [...start.keys()];
  }

  seek(partition: number, offset: number): void {
    if (!this.position.has(partition)) throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `this consumer of "${this.topic}" does not read partition ${partition}`);
    this.position.set(partition, offset);
  }

  positions(): PartitionOffsets {
    return new Map(this.position);
  }

  async poll(maxRecords: number, maxWaitMs: number): Promise<LogRecord[]> {
    let records = await this.readAvailable(maxRecords);
    if (records.length === 0 && maxWaitMs > 0 && !this.closed) {
      await this.log.waitForData(maxWaitMs);
      records = await this.readAvailable(maxRecords);
    }
    return records;
  }

  private async readAvailable(maxRecords: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const count = this.partitions.length;
    const ends = this.log.endOffsets(this.topic);
    for (let i = 0; i < count && out.length < maxRecords; i++) {
      const partition = this.partitions[(this.nextPartition + i) % count]!;
      const offset = this.position.get(partition)!;
      if (offset >= (ends.get(partition) ?? 0)) continue;
      const share = Math.max(1, Math.ceil((maxRecords - out.length) / (count - i)));
      const decoded = await this.log.readPartition(this.topic, partition, offset, READ_BYTES_PER_PARTITION, share);
      for (const r of decoded) {
        out.push({ topic: this.topic, partition, offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });
      }
      const last = decoded[decoded.length - 1];
      if (last) this.position.set(partition, last.offset + 1);
    }
    this.nextPartition = (this.nextPartition + 1) % Math.max(1, count);
    return out;
  }

  async commit(offsets?: PartitionOffsets): Promise<void> {
    if (offsets) checkCommitPartitions(this.topic, this.position, offsets);
    await this.log.commitOffsets(this.group, this.topic, new Map(offsets ?? this.position));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
