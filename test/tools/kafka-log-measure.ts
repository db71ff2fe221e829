// Measures the Kafka log adapter on one local broker (not a benchmark of record: bench/ holds those):
//   npm run build && node dist/test/tools/kafka-log-measure.js [--records 200000] [--bytes 300]
// Prints append latency (one record per append, one caller), append throughput (concurrent
// callers, 100 records per append) and read throughput through one consumer.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';
import { startKafka } from '../helpers/kafka.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, bytes: { type: 'string', default: '300' }, callers: { type: 'string', default: '16' } } });
const total = Number(values.records);
const bytes = Number(values.bytes);
const callers = Number(values.callers);
const kafka = await startKafka({ brokers: 1 });
const log = await KafkaLog.open({ bootstrap: kafka.brokers, clientId: 'measure', topicDefaults: { replicationFactor: 1 }, logger: pino({ level: 'warn' }) });
try {
  await log.ensureTopic('events', { partitions: 12 });
  const payload = Buffer.alloc(bytes, 120);
  const headers = { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`, 'sl-schema-id': '1' };

  const latencies: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    await log.append('events', [{ key: `lat-${i}`, value: payload, timestamp: Date.now(), headers }]);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const pct = (q: number): string => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
  console.log(`append latency, 1 record, 1 caller, ${latencies.length} appends: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`);

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) {
        const base = next;
        next += 100;
        await log.append('events', Array.from({ length: 100 }, (_, i) => ({ key: `evt-${base + i}`, value: payload, timestamp: Date.now(), headers })));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`append throughput, ${callers} callers x 100 records of ${bytes} B: ${next} records in ${seconds.toFixed(1)} s = ${Math.round(next / seconds)} records/s`);

  const consumer = await log.consumer('measure', 'events');
  const inTopic = [...log.endOffsets('events').values()].reduce((a, b) => a + b, 0);
  const readStart = performance.now();
  let read = 0;
  while (read < inTopic) read += (await consumer.poll(5000, 500)).length;
  const readSeconds = (performance.now() - readStart) / 1000;
  console.log(`read throughput, 1 consumer, 12 partitions: ${read} records in ${readSeconds.toFixed(1)} s = ${Math.round(read / readSeconds)} records/s`);
  await consumer.close();
} finally {
  await log.close();
  await kafka.stop();
}
