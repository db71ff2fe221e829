// One member of a Sightline consumer group on Kafka, in a process of its own, so a test can kill it
// with SIGKILL (no LeaveGroup: the group must notice the missing heartbeats):
//   node dist/test/tools/kafka-group-member.js --bootstrap 127.0.0.1:9092 --group g --topic events \
//     [--prefix p.] [--session-timeout 6000] [--heartbeat-interval 1000]
// Prints one JSON line per change of its assignment:
//   {"event":"joined","memberId":"…","partitions":[…]}, then {"event":"assigned"|"revoked","partitions":[…],"held":[…]}
// SIGTERM or SIGINT leaves the group and exits.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    group: { type: 'string' },
    topic: { type: 'string' },
    prefix: { type: 'string', default: '' },
    'session-timeout': { type: 'string', default: '10000' },
    'heartbeat-interval': { type: 'string', default: '1000' },
  },
});
if (!values.bootstrap || !values.group || !values.topic) {
  console.error('usage: kafka-group-member --bootstrap host:port[,host:port] --group g --topic t [--prefix p.] [--session-timeout ms] [--heartbeat-interval ms]');
  process.exit(2);
}
const topic = values.topic;
const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
};

const log = await KafkaLog.open({
  bootstrap: values.bootstrap.split(','),
  clientId: `group-member-${process.pid}`,
  topicPrefix: values.prefix,
  topicDefaults: { replicationFactor: 1 },
  logger: pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
});
const held = new Set<number>();
const sorted = (): number[] => [...held].sort((a, b) => a - b);
const membership = await log.joinGroup(
  values.group,
  topic,
  {
    async onAssigned(partitions) {
      for (const p of partitions) held.add(p);
      print({ event: 'assigned', partitions, held: sorted() });
    },
    async onRevoked(partitions) {
      for (const p of partitions) held.delete(p);
      print({ event: 'revoked', partitions, held: sorted() });
    },
  },
  { sessionTimeoutMs: Number(values['session-timeout']), heartbeatIntervalMs: Number(values['heartbeat-interval']) },
);
print({ event: 'joined', memberId: membership.memberId, partitions: membership.assigned() });

const stop = async (): Promise<void> => {
  await membership.close();
  await log.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
