import { isSightlineError } from '../core/errors.js';
import type { AppendResult, ConsumerOptions, GroupListener, GroupMemberOptions, GroupMembership, Log, LogConsumer, LogRecord, LogRecordInput, PartitionOffsets, TopicSpec } from '../core/ports/log.js';
import type { ComponentMetrics } from './metrics.js';

/**
 * Any Log adapter with the `log` component's base metrics: records and bytes appended
 * (received), records handed to consumers (sent), append latency to durable, failures by code.
 * Counted per call, never per record.
 */
export class InstrumentedLog implements Log {
  constructor(private readonly inner: Log, private readonly metrics: ComponentMetrics) {}

  ensureTopic(topic: string, spec: TopicSpec): Promise<void> {
    return this.inner.ensureTopic(topic, spec);
  }

  partitionCount(topic: string): number {
    return this.inner.partitionCount(topic);
  }

  async append(topic: string, records: readonly LogRecordInput[]): Promise<AppendResult[]> {
    let bytes = 0;
    for (const r of records) bytes += r.value.length;
    this.metrics.received(records.length, bytes);
    const done = this.metrics.startTimer('append');
    try {
      const result = await this.inner.append(topic, records);
      done();
      return result;
    } catch (err) {
      this.metrics.error(isSightlineError(err) ? err.code : 'SL_LOG_WRITE_FAILED');
      throw err;
    }
  }

  endOffsets(topic: string): PartitionOffsets {
    return this.inner.endOffsets(topic);
  }

  startOffsets(topic: string): PartitionOffsets {
    return this.inner.startOffsets(topic);
  }

  committedOffsets(group: string, topic: string): Promise<PartitionOffsets> {
    return this.inner.committedOffsets(group, topic);
  }

  joinGroup(group: string, topic: string, listener: GroupListener, options?: GroupMemberOptions): Promise<GroupMembership> {
    return this.inner.joinGroup(group, topic, listener, options);
  }

  async consumer(group: string, topic: string, options?: ConsumerOptions): Promise<LogConsumer> {
    const inner = await this.inner.consumer(group, topic, options);
    const metrics = this.metrics;
    return {
      group: inner.group,
      topic: inner.topic,
      seek: (partition, offset) => inner.seek(partition, offset),
      positions: () => inner.positions(),
      async poll(maxRecords: number, maxWaitMs: number): Promise<LogRecord[]> {
        const records = await inner.poll(maxRecords, maxWaitMs);
        if (records.length > 0) {
          let bytes = 0;
          for (const r of records) bytes += r.value.length;
          metrics.sent(records.length, bytes);
        }
        return records;
      },
      commit: (offsets) => inner.commit(offsets),
      close: () => inner.close(),
    };
  }

  enforceRetention(topic: string, consumed: PartitionOffsets, retentionMs: number): Promise<number> {
    return this.inner.enforceRetention(topic, consumed, retentionMs);
  }

  get eraseRecords(): Log['eraseRecords'] {
    return this.inner.eraseRecords?.bind(this.inner);
  }

  failures(): string[] {
    return this.inner.failures();
  }

  stats(): ReturnType<Log['stats']> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
