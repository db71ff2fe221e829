import { describe } from 'node:test';
import { pino } from 'pino';
import type { Log } from '../../src/core/ports/log.js';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';
import { kafkaSkipReason, useKafka } from '../helpers/kafka.js';
import { logContract } from './log.contract.js';

const skip = kafkaSkipReason();

describe('Kafka log on one broker', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  const opened: Log[] = [];
  // Each id of the suite is its own namespace on the one broker: a topic prefix per id, so reopening
  // an id finds the same topics and group offsets, and ids never see each other's.
  logContract('kafka', () => ({
    async open(id) {
      const log = await KafkaLog.open({
        bootstrap: cluster().brokers,
        clientId: `contract-${id}`,
        topicPrefix: `contract-${id}.`,
        topicDefaults: { replicationFactor: 1 },
        logger: pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }),
      });
      opened.push(log);
      return log;
    },
    async teardown() {
      await Promise.all(opened.map((log) => log.close()));
    },
  }));
});
