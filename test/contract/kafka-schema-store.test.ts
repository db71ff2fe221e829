import { describe } from 'node:test';
import { pino } from 'pino';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';
import { LogSchemaStore } from '../../src/registry/store/log-schema-store.js';
import { kafkaSkipReason, useKafka } from '../helpers/kafka.js';
import { schemaStoreContract } from './schema-store.contract.js';

const skip = kafkaSkipReason();

describe('Kafka schema store on one broker', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  let deployments = 0;
  // Each open is a deployment of its own on the one broker (a topic prefix, so its own _schemas and
  // transactional id); each node of it is a KafkaLog of its own, so clients of their own.
  schemaStoreContract('_schemas on Kafka, written in fenced transactions', {
    async open() {
      const prefix = `schemas-contract-${++deployments}.`;
      const logs: KafkaLog[] = [];
      const stores: LogSchemaStore[] = [];
      const openNode = async () => {
        const log = await KafkaLog.open({
          bootstrap: cluster().brokers,
          clientId: `${prefix}node-${logs.length}`,
          topicPrefix: prefix,
          topicDefaults: { replicationFactor: 1 },
          logger: pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }),
        });
        logs.push(log);
        const store = await LogSchemaStore.openShared(log);
        stores.push(store);
        return store;
      };
      return {
        store: await openNode(),
        peer: openNode,
        reopen: openNode,
        teardown: async () => {
          await Promise.all(stores.map((store) => store.close()));
          await Promise.all(logs.map((log) => log.close()));
        },
      };
    },
  });
});
