import { Consumer, FetchIsolationLevels, fetchV17 } from '@platformatic/kafka';
import type { LogRecord } from '../../core/ports/log.js';
import type { TopicReader } from '../../core/ports/table-store.js';
import { decodeBatches } from './fetched-records.js';
import type { KafkaSecurity } from './security.js';

/**
 * Reads the one partition of a topic read_committed, sending Fetch itself rather than through
 * Consumer.fetch: in @platformatic/kafka 1.35 that method filters aborted batches with one range per
 * producer id, from the last listed aborted transaction to the producer's last abort marker in the
 * response. Every writer of a table shares one producer id, and a transaction fenced before it sent
 * anything leaves an abort marker without records, so that range covered committed records:
 * a node reading `_schemas` from the start missed some. decodeBatches drops aborted transactions
 * as Kafka's Java consumer does.
 */
export class CommittedPartitionReader implements TopicReader {
  private readonly client: Consumer;
  private position = 0;
  private fetchNext = 0;
  private buffer: LogRecord[] = [];
  private closed = false;

  constructor(
    private readonly options: { bootstrap: string[]; security: KafkaSecurity; clientId: string; clusterTopic: string; topic: string; timeoutMs: number; maxBytes: number },
  ) {
    this.client = new Consumer({ clientId: options.clientId, groupId: `${options.clientId}-unused`, bootstrapBrokers: options.bootstrap, ...options.security, timeout: options.timeoutMs, retries: 1, retryDelay: 100 });
  }

  seek(_partition: number, offset: number): void {
    this.position = offset;
    this.fetchNext = offset;
    this.buffer = [];
  }

  positions(): Map<number, number> {
    return new Map([[0, this.position]]);
  }

  async poll(maxRecords: number, maxWaitMs: number): Promise<LogRecord[]> {
    const deadline = Date.now() + maxWaitMs;
    while (this.buffer.length === 0 && !this.closed) {
      await this.fetchOnce(Math.max(0, deadline - Date.now()));
      if (Date.now() >= deadline) break;
    }
    const out = this.buffer.splice(0, maxRecords);
    this.position = this.buffer[0]?.offset ?? this.fetchNext;
    return out;
  }

  private async fetchOnce(waitMs: number): Promise<void> {
    const from = this.fetchNext;
    try {
      const metadata = await this.client.metadata({ topics: [this.options.clusterTopic] });
      const topic = metadata.topics.get(this.options.clusterTopic)!;
      const leader = topic.partitions[0]!.leader;
      const connection = (await this.client.connectToBrokers([leader])).get(leader)!;
      const response = await fetchV17.api.async(connection, waitMs, 1, this.options.maxBytes, FetchIsolationLevels.READ_COMMITTED, 0, -1, [
        { topicId: topic.id, partitions: [{ partition: 0, fetchOffset: BigInt(from), currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: this.options.maxBytes }] },
      ], [], '');
      const partition = response.responses[0]?.partitions[0];
      // A seek while the fetch was out makes its records the wrong ones.
      if (!partition || this.fetchNext !== from || this.closed) return;
      const { records, next } = decodeBatches(this.options.topic, 0, partition.records ?? [], from, partition.abortedTransactions);
      this.buffer.push(...records);
      this.fetchNext = next;
      if (this.buffer.length === 0) this.position = next;
    } catch {
      // Leader moved or broker down: fresh metadata next time, and no spinning against the failure.
      if (this.closed) return;
      this.client.clearMetadata();
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 250)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.client.close(true, () => resolve()));
  }
}
