import { Admin, FetchIsolationLevels, Producer } from '@platformatic/kafka';
import { TransactionalProducer } from './transactional-producer.js';
import { isSightlineError } from '../../core/errors.js';
import type { LogRecordInput } from '../../core/ports/log.js';
import { CommitOutcomeUnknown, type TableWriter, WriteLockLost } from '../../core/ports/table-store.js';
import { brokerErrorIds, describeKafkaError, wrapKafkaError } from './errors.js';
import type { KafkaSecurity } from './security.js';

type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** Every node writes a table under this transactional id (after the topic prefix): `sightline-registry`, `sightline-keys`. */
export function tableTransactionalId(label: string): string {
  return `sightline-${label}`;
}

// Kafka answers a producer whose epoch is no longer the newest with one of these, depending on the
// request (Produce: INVALID_PRODUCER_EPOCH; AddPartitionsToTxn and EndTxn: PRODUCER_FENCED).
const FENCED = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING'];
// The transaction coordinator is moving or still loading (on a new cluster it first creates its
// log): the lock is not to be had yet, and will be.
const COORDINATOR_BUSY = ['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'CONCURRENT_TRANSACTIONS'];

export interface FencedTableWriterOptions {
  /** The table, in messages: "registry", "keys". */
  label: string;
  bootstrap: string[];
  security: KafkaSecurity;
  clientId: string;
  clusterTopic: string;
  transactionalId: string;
  /** Per request, and the transaction timeout: a crashed writer's open transaction is aborted after it. */
  timeoutMs: number;
}

/**
 * A table's write lock on Kafka (the registry's, the keys'), shared by every node of a deployment, without electing a
 * leader: Kafka's transactional-id fencing is the lock. A node's producer initialises the one
 * transactional id, which bumps its epoch, aborts any other node's open transaction and makes that
 * node's next send or commit fail. The node then reads the table's topic to its last stable offset,
 * computes the change, and commits it in one transaction. A node fenced before its commit computes
 * the change again on the newer state.
 */
export class FencedTableWriter implements TableWriter {
  private readonly producer: Producer;
  private readonly admin: Admin;
  /** This producer's epoch is known to be stale: initialise again (fencing the newer one) before writing. */
  private fenced = false;

  constructor(private readonly options: FencedTableWriterOptions) {
    this.producer = new TransactionalProducer({
      clientId: options.clientId,
      bootstrapBrokers: options.bootstrap,
      ...options.security,
      transactionalId: options.transactionalId,
      idempotent: true,
      timeout: options.timeoutMs,
      retries: 5,
      retryDelay: 50,
    });
    this.admin = new Admin({ clientId: `${options.clientId}-admin`, bootstrapBrokers: options.bootstrap, ...options.security, timeout: options.timeoutMs, retries: 5, retryDelay: 100 });
  }

  async locked<T>(body: (append: (records: LogRecordInput[]) => Promise<number>) => Promise<T>): Promise<T> {
    const transaction = await this.begin();
    let sent = false;
    let appended: { first: number; end: number } | undefined;
    let committing = false;
    try {
      const result = await body(async (records) => {
        sent = true;
        const produced = await transaction.send({
          messages: records.map((r) => ({ topic: this.options.clusterTopic, partition: 0, key: Buffer.from(r.key), value: r.value, timestamp: BigInt(r.timestamp) })),
        });
        // One partition and one send: the records are one batch from this base offset.
        const first = Number(produced.offsets?.[0]?.offset ?? -1n);
        appended = { first, end: first + records.length };
        return appended.end;
      });
      committing = true;
      if (sent) await transaction.commit();
      else await transaction.cancel();
      return result;
    } catch (error) {
      await this.discard(transaction, sent);
      // Even PRODUCER_FENCED may follow a commit the coordinator logged, when the client resent
      // EndTxn after a lost response and another node had initialised meanwhile.
      if (committing && appended && appended.first >= 0) {
        this.fenced = true;
        throw new CommitOutcomeUnknown(appended.first, appended.end, `committing the ${this.options.label} change failed: ${describeKafkaError(error)}`, { cause: error });
      }
      throw this.explain(error, `writing the ${this.options.label} change`);
    }
  }

  private async begin(): Promise<Transaction> {
    try {
      // The client keeps a transaction whose start failed (say, the coordinator was loading) as
      // active, and would refuse every later one.
      await this.producer.transaction?.cancel();
      // The client initialises the transactional id on its first transaction only. ProducerId -1 asks
      // for the id's current producer whoever initialised it last (0, the client's default, is refused
      // with PRODUCER_FENCED once another node holds the id).
      const transaction = await this.producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      if (this.fenced) {
        // After fencing the client keeps its stale epoch; initialising inside the transaction bumps it.
        await this.producer.initIdempotentProducer({ producerId: -1n, producerEpoch: -1 }).catch(async (error: unknown) => {
          await transaction.cancel();
          throw error;
        });
        this.fenced = false;
      }
      return transaction;
    } catch (error) {
      const ids = brokerErrorIds(error);
      if (COORDINATOR_BUSY.some((id) => ids.has(id)) && !FENCED.some((id) => ids.has(id))) {
        this.fenced = true;
        throw new WriteLockLost(`the ${this.options.label} write lock cannot be taken yet (${[...ids].join(', ')})`, { cause: error });
      }
      throw this.explain(error, `taking the ${this.options.label} write lock`);
    }
  }

  /** Ends a transaction that will not commit: aborted on the broker if records went out, else only here. */
  private async discard(transaction: Transaction, sent: boolean): Promise<void> {
    if (transaction.completed) return;
    if (sent) {
      try {
        await transaction.abort();
        return;
      } catch {
        // Fenced: the newer producer's initialisation aborted it already. Otherwise the next
        // initialisation aborts it.
        this.fenced = true;
      }
    }
    await transaction.cancel();
  }

  private explain(error: unknown, what: string): Error {
    if (isSightlineError(error)) return error;
    const ids = brokerErrorIds(error);
    if (FENCED.some((id) => ids.has(id))) {
      this.fenced = true;
      return new WriteLockLost(`another node took the ${this.options.label} write lock (${[...ids].join(', ')})`, { cause: error });
    }
    // The outcome of a commit that timed out is unknown; initialising again settles it either way.
    this.fenced = true;
    return wrapKafkaError(error, 'SL_REGISTRY_STORE_FAILED', `${what} failed`, true);
  }

  async committedEnd(): Promise<number> {
    try {
      const [listed] = await this.admin.listOffsets({
        topics: [{ name: this.options.clusterTopic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
        // The last stable offset: an open transaction (a crashed node's) would otherwise hold the reader.
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
      return Number(listed?.partitions[0]?.offset ?? 0n);
    } catch (error) {
      this.admin.clearMetadata();
      throw wrapKafkaError(error, 'SL_REGISTRY_STORE_FAILED', `reading the end of ${this.options.clusterTopic} failed`, true);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.producer.close(true), this.admin.close()]);
  }
}
