import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SightlineError } from '../../core/errors.js';
import { partitionForKey } from '../../core/partitioner.js';
import { consumerPartitions, resolveGroupMemberOptions } from '../../core/group-assignment.js';
import type { AppendResult, ConsumerOptions, GroupListener, GroupMemberOptions, GroupMembership, Log, LogConsumer, LogRecordInput, LogStats, PartitionOffsets, TopicSpec } from '../../core/ports/log.js';
import { EmbeddedConsumer } from './embedded-consumer.js';
import { EmbeddedGroups } from './embedded-group.js';
import { fsyncDir, writeFileAtomic, writeFileIfAbsent } from '../../fs/durable-files.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { eraseInSegmentFile } from './segment-eraser.js';

export interface EmbeddedLogOptions {
  dir: string;
  segmentBytes: number;
  maxRecordBytes: number;
  /** Encryption at rest of record values (docs/security.md); plaintext segments stay readable. */
  keyRing?: PartitionLogOptions['keyRing'];
  onRecovery?: PartitionLogOptions['onRecovery'];
  /** Called when a partition stopped by a failed write takes writes again, with why it had stopped. */
  onWritable?: (info: { topic: string; partition: number; stoppedBy: string }) => void;
}

/** How often stopped partitions try to take writes again; refused appends ask clients to wait as long. */
const RECOVERY_INTERVAL_SECONDS = 5;

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The embedded backbone: a folder per topic, a folder per partition, segment files in each.
 * Appends from any number of concurrent callers are written and fdatasynced together (group
 * commit): while one flush runs, new appends stage for the next, so a burst of requests costs
 * one fsync per partition rather than one per request or per event, and each append resolves
 * only once the flush that wrote its own records has synced.
 */
export class EmbeddedLog implements Log {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly durable = new EventEmitter();
  private readonly groups = new EmbeddedGroups();
  /** Commits of one group file, one after another: each merges into what the last one wrote. */
  private readonly commitQueues = new Map<string, Promise<void>>();
  private appendedRecords = 0;
  private closed = false;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering = false;

  private constructor(private readonly options: EmbeddedLogOptions) {
    this.durable.setMaxListeners(0);
  }

  static async open(options: EmbeddedLogOptions): Promise<EmbeddedLog> {
    const log = new EmbeddedLog(options);
    try {
      await mkdir(options.dir, { recursive: true });
      for (const entry of await readdir(options.dir, { withFileTypes: true })) {
        if (entry.isDirectory() && TOPIC_NAME.test(entry.name)) await log.loadTopic(entry.name);
      }
    } catch (err) {
      // What was opened before the failure (another topic's partitions) is closed again.
      await log.close().catch(() => undefined);
      throw err;
    }
    return log;
  }

  private async loadTopic(topic: string): Promise<void> {
    const metaPath = join(this.options.dir, topic, 'topic.json');
    let spec: TopicSpec;
    try {
      spec = JSON.parse(await readFile(metaPath, 'utf8')) as TopicSpec;
    } catch {
      return;
    }
    const partitions: PartitionLog[] = [];
    // Registered before they open, so a failure part way closes those already open.
    this.topics.set(topic, partitions);
    for (let p = 0; p < spec.partitions; p++) {
      partitions.push(await PartitionLog.open(join(this.options.dir, topic, String(p)), this.options));
    }
  }

  async ensureTopic(topic: string, spec: TopicSpec): Promise<void> {
    if (this.topics.has(topic)) return;
    if (!TOPIC_NAME.test(topic)) throw new SightlineError('SL_CONFIG_INVALID', `invalid topic name "${topic}"`);
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 1024) {
      throw new SightlineError('SL_CONFIG_INVALID', `topic "${topic}" needs 1 to 1024 partitions`);
    }
    await writeFileIfAbsent(join(this.options.dir, topic, 'topic.json'), JSON.stringify({ partitions: spec.partitions }));
    await this.loadTopic(topic);
    // The new folders and topic.json must survive a power loss along with the first records.
    await fsyncDir(join(this.options.dir, topic));
    await fsyncDir(this.options.dir);
  }

  partitionCount(topic: string): number {
    return this.partitions(topic).length;
  }

  private partitions(topic: string): PartitionLog[] {
    const partitions = this.topics.get(topic);
    if (!partitions) throw new SightlineError('SL_LOG_TOPIC_UNKNOWN', `topic "${topic}" does not exist`);
    return partitions;
  }

  async append(topic: string, records: readonly LogRecordInput[]): Promise<AppendResult[]> {
    if (this.closed) throw new SightlineError('SL_LOG_CLOSED', 'the log is closed');
    try {
      return await this.appendTo(this.partitions(topic), records);
    } catch (err) {
      if (!(err instanceof SightlineError) || err.code !== 'SL_LOG_WRITE_FAILED' || this.failures().length === 0) throw err;
      this.watchForRecovery();
      // A stopped partition takes nothing until a recovery attempt succeeds: a client retrying
      // sooner is only refused again.
      throw new SightlineError('SL_LOG_WRITE_FAILED', err.message, { cause: err.cause, retryAfterSeconds: RECOVERY_INTERVAL_SECONDS });
    }
  }

  private async appendTo(partitions: PartitionLog[], records: readonly LogRecordInput[]): Promise<AppendResult[]> {
    const results: AppendResult[] = new Array(records.length);
    const lastOffset = new Map<number, number>();
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const partition = partitionForKey(record.key, partitions.length);
      const offset = partitions[partition]!.stage(record.key, record.value, record.timestamp, record.headers);
      results[i] = { partition, offset };
      lastOffset.set(partition, offset);
    }
    this.appendedRecords += records.length;
    // Let every append of this turn of the event loop (many requests parsed together) stage
    // first, so one fdatasync per partition covers them all.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.all([...lastOffset].map(([p, offset]) => partitions[p]!.flushThrough(offset)));
    this.durable.emit('durable');
    return results;
  }

  /**
   * Log retention: deletes closed segments older than `retentionMs` whose records are all below
   * `safeOffsets` (what every consumer that matters has committed). Returns segments deleted.
   */
  /**
   * Overwrites the values of matching records in the closed segments of `topic` whose records all
   * lie before `safeOffsets` (processed and committed); matches elsewhere are counted as left.
   */
  async eraseRecords(topic: string, safeOffsets: PartitionOffsets, matches: (value: Buffer, timestamp: number) => boolean, erased: (length: number) => Buffer): Promise<{ records: number; segments: number; left: number }> {
    const result = { records: 0, segments: 0, left: 0 };
    for (const [p, partition] of this.partitions(topic).entries()) {
      const { closed, open } = partition.segmentFiles(safeOffsets.get(p) ?? 0);
      for (const file of closed) {
        const n = await eraseInSegmentFile(file, matches, erased, true);
        result.records += n;
        if (n > 0) result.segments++;
      }
      for (const file of open) result.left += await eraseInSegmentFile(file, matches, erased, false);
    }
    return result;
  }

  async enforceRetention(topic: string, safeOffsets: PartitionOffsets, retentionMs: number, now = Date.now()): Promise<number> {
    let deleted = 0;
    const partitions = this.partitions(topic);
    for (let p = 0; p < partitions.length; p++) {
      deleted += await partitions[p]!.deleteSegmentsBefore(safeOffsets.get(p) ?? 0, now - retentionMs);
    }
    return deleted;
  }

  startOffsets(topic: string): PartitionOffsets {
    return new Map(this.partitions(topic).map((p, i) => [i, p.startOffset]));
  }

  endOffsets(topic: string): PartitionOffsets {
    return new Map(this.partitions(topic).map((p, i) => [i, p.endOffset]));
  }

  /** Resolves when new records become durable, or after `ms`. */
  waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.durable.off('durable', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.durable.once('durable', done);
    });
  }

  readPartition(topic: string, partition: number, offset: number, maxBytes: number, maxRecords: number) {
    const log = this.partitions(topic)[partition];
    if (!log) throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `topic "${topic}" has no partition ${partition}`);
    return log.read(offset, maxBytes, maxRecords);
  }

  private groupPath(group: string, topic: string): string {
    return join(this.options.dir, topic, 'groups', `${encodeURIComponent(group)}.json`);
  }

  async committedOffsets(group: string, topic: string): Promise<PartitionOffsets> {
    const count = this.partitionCount(topic);
    const offsets: PartitionOffsets = new Map();
    for (let p = 0; p < count; p++) offsets.set(p, 0);
    try {
      const stored = JSON.parse(await readFile(this.groupPath(group, topic), 'utf8')) as Record<string, number>;
      for (const [p, offset] of Object.entries(stored)) offsets.set(Number(p), offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return offsets;
  }

  /**
   * Merges `offsets` into the group's stored offsets: consumers of a subset of the partitions
   * (group members) commit only theirs and must not reset the others'.
   */
  async commitOffsets(group: string, topic: string, offsets: PartitionOffsets): Promise<void> {
    const path = this.groupPath(group, topic);
    const write = async (): Promise<void> => {
      const merged = await this.committedOffsets(group, topic);
      for (const [p, offset] of offsets) merged.set(p, offset);
      await writeFileAtomic(path, JSON.stringify(Object.fromEntries(merged)));
    };
    const done = (this.commitQueues.get(path) ?? Promise.resolve()).then(write);
    const settled = done.catch(() => undefined);
    this.commitQueues.set(path, settled);
    void settled.then(() => {
      if (this.commitQueues.get(path) === settled) this.commitQueues.delete(path);
    });
    await done;
  }

  async consumer(group: string, topic: string, options: ConsumerOptions = {}): Promise<LogConsumer> {
    const partitions = consumerPartitions(topic, this.partitionCount(topic), options.partitions);
    const committed = await this.committedOffsets(group, topic);
    return new EmbeddedConsumer(this, group, topic, new Map(partitions.map((p) => [p, committed.get(p) ?? 0])));
  }

  /** Membership among the groups of this EmbeddedLog instance; the timeouts do not apply in one process. */
  async joinGroup(group: string, topic: string, listener: GroupListener, options?: GroupMemberOptions): Promise<GroupMembership> {
    if (this.closed) throw new SightlineError('SL_LOG_CLOSED', 'the log is closed');
    resolveGroupMemberOptions(options);
    return this.groups.join(group, topic, this.partitionCount(topic), listener);
  }

  /** Tries, every few seconds while any partition is stopped, to make it take writes again. */
  private watchForRecovery(): void {
    if (this.recoveryTimer !== undefined || this.closed) return;
    this.recoveryTimer = setInterval(() => void this.recoverStopped(), RECOVERY_INTERVAL_SECONDS * 1000);
    this.recoveryTimer.unref();
  }

  private async recoverStopped(): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    try {
      let stopped = 0;
      for (const [topic, partitions] of this.topics) {
        for (const [partition, log] of partitions.entries()) {
          const stoppedBy = log.failure;
          if (stoppedBy === null || this.closed) continue;
          if (await log.recover()) this.options.onWritable?.({ topic, partition, stoppedBy });
          else stopped++;
        }
      }
      if (stopped === 0) this.stopWatching();
    } finally {
      this.recovering = false;
    }
  }

  private stopWatching(): void {
    clearInterval(this.recoveryTimer);
    this.recoveryTimer = undefined;
  }

  /** Partitions that stopped after a failed write, for readiness. */
  failures(): string[] {
    const out: string[] = [];
    for (const [topic, partitions] of this.topics) {
      partitions.forEach((p, i) => {
        if (p.failure) out.push(`${topic}/${i}: ${p.failure}`);
      });
    }
    return out;
  }

  stats(): LogStats {
    return {
      topics: [...this.topics].map(([topic, partitions]) => ({
        topic,
        partitions: partitions.map((p, partition) => ({ partition, endOffset: p.endOffset, bytes: p.bytes, segments: p.segmentCount })),
      })),
      fsyncs: [...this.topics.values()].flat().reduce((sum, p) => sum + p.syncs, 0),
      appendedRecords: this.appendedRecords,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    await this.groups.closeAll();
    for (const partitions of this.topics.values()) for (const p of partitions) await p.close();
    this.durable.emit('durable');
  }
}
