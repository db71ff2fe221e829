import assert from 'node:assert/strict';
import { it } from 'node:test';
import { murmur2, partitionForKey } from '../../../src/core/partitioner.js';

it('murmur2 matches the values of Kafka\'s own partitioner test', () => {
  // From org.apache.kafka.common.utils.UtilsTest#testMurmur2.
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(murmur2(Buffer.from('abc')), 479470107);
});

it('spreads keys over every partition and always maps a key to the same one', () => {
  const counts = new Array(8).fill(0);
  for (let i = 0; i < 8000; i++) counts[partitionForKey(`event-${i}`, 8)]++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven spread: ${counts.join(',')}`);
  assert.equal(partitionForKey('same', 8), partitionForKey('same', 8));
});
