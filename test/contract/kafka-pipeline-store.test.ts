import { describe } from 'node:test';
import { pino } from 'pino';
import { DLQ_TOPIC } from '../../src/core/dead-letter.js';
import { pipelineTopics } from '../../src/core/pipeline-topics.js';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';
import { KafkaPartitionStore, kafkaPartitionStores } from '../../src/log/kafka/kafka-partition-store.js';
import { kafkaSkipReason, useKafka } from '../helpers/kafka.js';
import { pipelineStoreContract } from './pipeline-store.contract.js';

const skip = kafkaSkipReason();
const logger = pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' });

describe('Kafka pipeline store on one broker', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  pipelineStoreContract('one partition in Kafka transactions (rows, state and dead-letter topics)', {
    async open(pipeline) {
      const log = await KafkaLog.open({ bootstrap: cluster().brokers, clientId: `${pipeline}-node`, topicPrefix: `${pipeline}.`, topicDefaults: { replicationFactor: 1 }, logger });
      const topics = pipelineTopics(pipeline);
      await log.ensureTopic(topics.rows, { partitions: 1 });
      await log.ensureTopic(topics.state, { partitions: 1, compact: true });
      await log.ensureTopic(DLQ_TOPIC, { partitions: 1 });
      const open = kafkaPartitionStores({ log, pipeline, dedupWindowMs: 300_000, maxRecordBytes: 1 << 20, maxOriginalBytes: 512 * 1024 });
      const stores: KafkaPartitionStore[] = [await open(0, logger)];
      return {
        store: stores[0]!,
        log,
        // The next owner of the partition: its first transaction fences the previous one.
        reopen: async () => {
          stores.push(await open(0, logger));
          return stores.at(-1)!;
        },
        teardown: async () => {
          await Promise.all(stores.map((s) => s.close()));
          await log.close();
        },
      };
    },
  });
});
