// Starts the tests' Kafka by hand, for trying the Kafka adapter or measuring startup:
//   npm run build && node dist/test/tools/kafka.js [--brokers 1|3]
// Prints the bootstrap addresses and keeps the brokers up until Ctrl-C.
import { startKafka } from '../helpers/kafka.js';

const arg = process.argv.indexOf('--brokers');
const brokers = arg >= 0 ? Number(process.argv[arg + 1]) : 1;
if (brokers !== 1 && brokers !== 3) {
  console.error('usage: node dist/test/tools/kafka.js [--brokers 1|3]');
  process.exit(2);
}
const started = performance.now();
const kafka = await startKafka({ brokers });
console.log(`Kafka ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${kafka.bootstrap}`);
for (const id of kafka.nodeIds) console.log(`  node ${id}: ${kafka.address(id)} pid ${kafka.pid(id)} log ${kafka.logFile(id)}`);
if (process.argv.includes('--exit')) await kafka.stop();
else {
  process.once('SIGINT', () => void kafka.stop().then(() => process.exit(0)));
  console.log('Ctrl-C stops it.');
}
