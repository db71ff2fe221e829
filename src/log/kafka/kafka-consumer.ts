import { Consumer, FetchIsolationLevels, fetchV17 } from '@platformatic/kafka';
import type { Logger } from 'pino';

type FetchResponse = fetchV17.FetchResponse;
import { SightlineError } from '../../core/errors.js';
import { checkCommitPartitions } from '../../core/group-assignment.js';
import type { LogConsumer, LogRecord, PartitionOffsets } from '../../core/ports/log.js';
import { brokerErrorIds, describeKafkaError, wrapKafkaError } from './errors.js';
import { decodeBatches } from './fetched-records.js';
import type { TopicTable } from './topic-table.js';
import type { KafkaSecurity } from './security.js';

export interface KafkaConsumerDeps {
  bootstrap: string[];
  security: KafkaSecurity;
  clientId: string;
  /** The group and topic as the cluster names them (with the prefix). */
  clusterGroup: string;
  clusterTopic: string;
  table: TopicTable;
  logger: Logger;
  requestTimeoutMs: number;
  maxBytesPerPartition: number;
  commit: (offsets: PartitionOffsets) => Promise<void>;
  /** The oldest offset each partition still holds, asked of the cluster. */
  startOffsets: () => Promise<PartitionOffsets>;
  onClose: () => void;
}

interface PartitionState {
  /** The next offset poll returns. */
  position: number;
  /** The next offset to fetch: past `buffer`, and past control records and compacted gaps. */
  fetchNext: number;
  /** Fetched records in [position, fetchNext) that no poll returned yet. */
  buffer: LogRecord[];
  /** Bumped by seek, so a fetch that was in flight across it is dropped. */
  generation: number;
}

// With partitions on several leaders, a long poll on one would hold back data another already has;
// waiting in short rounds bounds that delay.
const MULTI_LEADER_ROUND_MS = 250;

/**
 * Reads the partitions it is given (every partition of the topic, or a group member's share) with
 * manual assignment: fetches go straight to each partition's leader. Membership is separate
 * (KafkaGroupMember); commits go through it when this process holds one for the group.
 */
export class KafkaLogConsumer implements LogConsumer {
  private readonly client: Consumer;
  private readonly state = new Map<number, PartitionState>();
  private nextPartition = 0;
  private closed = false;

  constructor(
    private readonly deps: KafkaConsumerDeps,
    readonly group: string,
    readonly topic: string,
    start: PartitionOffsets,
  ) {
    for (const [partition, offset] of start) this.state.set(partition, { position: offset, fetchNext: offset, buffer: [], generation: 0 });
    this.client = new Consumer({
      clientId: `${deps.clientId}-consumer`,
      groupId: deps.clusterGroup,
      bootstrapBrokers: deps.bootstrap,
      ...deps.security,
      timeout: deps.requestTimeoutMs,
      retries: 1,
      retryDelay: 100,
    });
  }

  seek(partition: number, offset: number): void {
    const state = this.state.get(partition);
    if (!state) throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `this consumer of "${this.topic}" does not read partition ${partition}`);
    state.position = offset;
    state.fetchNext = offset;
    state.buffer = [];
    state.generation++;
  }

  positions(): PartitionOffsets {
    return new Map([...this.state].map(([p, s]) => [p, s.position]));
  }

  async poll(maxRecords: number, maxWaitMs: number): Promise<LogRecord[]> {
    let out = this.takeBuffered(maxRecords);
    if (out.length > 0 || this.closed) return out;
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    for (;;) {
      const remaining = Math.max(0, deadline - Date.now());
      await this.fetchRound(remaining);
      out = this.takeBuffered(maxRecords);
      if (out.length > 0 || this.closed || Date.now() >= deadline) return out;
    }
  }

  /** Up to `maxRecords` buffered records, partitions taken in turn so none starves another. */
  private takeBuffered(maxRecords: number): LogRecord[] {
    const out: LogRecord[] = [];
    const partitions = [...this.state.keys()];
    const count = partitions.length;
    for (let i = 0; i < count && out.length < maxRecords; i++) {
      const state = this.state.get(partitions[(this.nextPartition + i) % count]!)!;
      if (state.buffer.length === 0) continue;
      const share = Math.max(1, Math.ceil((maxRecords - out.length) / (count - i)));
      const taken = state.buffer.splice(0, share);
      out.push(...taken);
      state.position = state.buffer.length > 0 ? state.buffer[0]!.offset : state.fetchNext;
    }
    this.nextPartition = (this.nextPartition + 1) % Math.max(1, count);
    return out;
  }

  /** One fetch per leader for the partitions with nothing buffered, waiting up to `waitMs`. */
  private async fetchRound(waitMs: number): Promise<void> {
    let metadata;
    try {
      metadata = await this.client.metadata({ topics: [this.deps.clusterTopic] });
    } catch (error) {
      // Brokers unreachable for now: a poll returns nothing rather than failing the reader.
      if (!this.closed) this.deps.logger.debug({ topic: this.topic, err: describeKafkaError(error) }, 'kafka metadata request failed');
      await sleep(Math.min(waitMs, 250));
      return;
    }
    const topic = metadata.topics.get(this.deps.clusterTopic);
    if (!topic) throw new SightlineError('SL_LOG_TOPIC_UNKNOWN', `topic "${this.topic}" does not exist`);
    const byLeader = new Map<number, Array<{ partition: number; offset: number; generation: number }>>();
    for (const [partition, state] of this.state) {
      if (state.buffer.length > 0) continue;
      const leader = topic.partitions[partition]?.leader ?? -1;
      if (leader < 0) continue;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push({ partition, offset: state.fetchNext, generation: state.generation });
    }
    if (byLeader.size === 0) {
      await sleep(Math.min(waitMs, 100));
      return;
    }
    const wait = byLeader.size > 1 ? Math.min(waitMs, MULTI_LEADER_ROUND_MS) : waitMs;
    let failed = false;
    await Promise.all(
      [...byLeader].map(async ([leader, requested]) => {
        let response: FetchResponse | undefined;
        try {
          // Fetch is sent as is, not through Consumer.fetch: with read_committed that method drops
          // aborted batches with one range per producer id, which can cover committed records of
          // a producer that aborted twice (every partition store's producer keeps its id across
          // epochs). decodeBatches drops aborted transactions as Kafka's Java consumer does.
          const connection = (await this.client.connectToBrokers([leader])).get(leader)!;
          const partitions = requested.map((r) => ({
            partition: r.partition,
            fetchOffset: BigInt(r.offset),
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
            partitionMaxBytes: this.deps.maxBytesPerPartition,
          }));
          response = await fetchV17.api.async(connection, wait, 1, this.deps.maxBytesPerPartition * requested.length, FetchIsolationLevels.READ_COMMITTED, 0, -1, [{ topicId: topic.id, partitions }], [], '');
        } catch (error) {
          if (this.closed) return;
          failed = true;
          // A response with an error in one partition still carries the others' records.
          response = (error as { response?: FetchResponse }).response;
          await this.handleFetchError(error, response);
        }
        if (response) this.absorb(response, requested);
      }),
    );
    // After an error the next round should not spin against the same failure.
    if (failed && !this.closed) await sleep(Math.min(waitMs, 100));
  }

  private absorb(response: FetchResponse, requested: Array<{ partition: number; offset: number; generation: number }>): void {
    const asked = new Map(requested.map((r) => [r.partition, r]));
    for (const topicResponse of response.responses ?? []) {
      for (const p of topicResponse.partitions) {
        const request = asked.get(p.partitionIndex);
        const state = this.state.get(p.partitionIndex);
        if (!request || !state || p.errorCode !== 0) continue;
        if (p.highWatermark >= 0n) this.deps.table.advanceEnd(this.topic, p.partitionIndex, Number(p.highWatermark));
        if (p.logStartOffset >= 0n) this.deps.table.advanceStart(this.topic, p.partitionIndex, Number(p.logStartOffset));
        // A seek since the request was sent makes its records the wrong ones.
        if (state.generation !== request.generation || state.fetchNext !== request.offset) continue;
        const { records, next } = decodeBatches(this.topic, p.partitionIndex, p.records ?? [], request.offset, p.abortedTransactions);
        state.buffer.push(...records);
        state.fetchNext = next;
        if (state.buffer.length === 0) state.position = next;
      }
    }
  }

  private async handleFetchError(error: unknown, response: FetchResponse | undefined): Promise<void> {
    const ids = brokerErrorIds(error);
    if (ids.has('OFFSET_OUT_OF_RANGE')) {
      // Retention deleted what the position points at: go on from the oldest record still held
      // (auto.offset.reset=earliest), as a consumer that had read up to there would.
      const starts = await this.deps.startOffsets().catch(() => undefined);
      for (const topicResponse of response?.responses ?? []) {
        for (const p of topicResponse.partitions) {
          const state = this.state.get(p.partitionIndex);
          const start = starts?.get(p.partitionIndex);
          if (p.errorCode === 1 && state && start !== undefined && state.fetchNext < start) {
            this.deps.logger.warn({ topic: this.topic, partition: p.partitionIndex, from: state.fetchNext, to: start }, 'consumer position is before the log start; moving to the start');
            this.seek(p.partitionIndex, start);
          }
        }
      }
      return;
    }
    // Leader moved, broker down, topic metadata stale: ask for fresh metadata next round.
    this.client.clearMetadata();
    this.deps.logger.debug({ topic: this.topic, err: describeKafkaError(error) }, 'kafka fetch failed; retrying with fresh metadata');
  }

  async commit(offsets?: PartitionOffsets): Promise<void> {
    if (this.closed) throw new SightlineError('SL_LOG_CLOSED', 'the consumer is closed');
    try {
      if (offsets) checkCommitPartitions(this.topic, this.state, offsets);
      await this.deps.commit(offsets ?? this.positions());
    } catch (error) {
      throw wrapKafkaError(error, 'SL_LOG_WRITE_FAILED', `committing offsets of group "${this.group}" on "${this.topic}" failed`, true);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deps.onClose();
    await new Promise<void>((resolve) => this.client.close(true, () => resolve()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
