import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { DLQ_TOPIC, readDeadLetterRecord } from '../../src/core/dead-letter.js';
import { SightlineError } from '../../src/core/errors.js';
import type { HotStore } from '../../src/core/ports/hot-store.js';
import type { ProcessedBatch } from '../../src/core/ports/processed-batch.js';
import { DeadLetterQueue } from '../../src/dlq/dead-letter-queue.js';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { Processor } from '../../src/process/processor.js';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from '../../src/store/hot/hot-pipeline-store.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const spec = { name: 'main', dedupWindowMs: 300_000, allowedLatenessMs: 60_000, watermarkDelayMs: 5_000, idleTimeoutMs: 60_000, aggregations: buildConfig({}).aggregations };

/** A hot store that refuses any batch holding the event `poison`, or, while `down`, every write. */
function refusing(inner: DuckDbHotStore, state: { down: boolean }): HotStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commit') {
        return async (batch: ProcessedBatch) => {
          if (state.down || Buffer.from(batch.rows.ndjson).includes('"id":"poison"')) throw new SightlineError('SL_STORE_WRITE_FAILED', 'hot store commit failed: Conversion Error: simulated');
          return target.commit(batch);
        };
      }
      if (prop === 'writable') return async () => (state.down ? 'simulated outage' : target.writable());
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as HotStore;
}

/** One event the store cannot take must not stall the pipeline, nor may a store outage lose events. */
describe('a poison event', () => {
  it('is found by narrowing the batch, set aside in the dead-letter queue (stage sink), and everything else is stored', { timeout: 120_000 }, async () => {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    await log.ensureTopic('events', { partitions: 2 });
    const dlq = await DeadLetterQueue.open(log);
    const inner = await DuckDbHotStore.open(join(dir, 'hot.duckdb'));
    const state = { down: false };
    const processor = new Processor({ log, topic: 'events', store: new HotPipelineStore(refusing(inner, state), dlq), spec, batchSize: 64, logger: pino({ level: process.env.DEBUG_POISON ? 'info' : 'silent' }) });
    const events = Array.from({ length: 200 }, (_, i) => pageView(i === 77 ? 'poison' : `e${i}`, T0 + i * 100, '/'));
    await log.append('events', events.map((e) => ({ key: String(e.id), value: Buffer.from(JSON.stringify({ ...e, metadata: {} })), timestamp: Number(e.timestamp) })));
    await processor.start();
    const deadline = Date.now() + 90_000;
    while (processor.totalBacklog() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(processor.totalBacklog(), 0, 'the pipeline got past the poison event');
    assert.equal(processor.health().ok, true);

    // An outage of the whole store sets nothing aside: events wait, then go in.
    state.down = true;
    const more = [pageView('after-1', T0 + 30_000, '/'), pageView('after-2', T0 + 30_100, '/')];
    await log.append('events', more.map((e) => ({ key: String(e.id), value: Buffer.from(JSON.stringify({ ...e, metadata: {} })), timestamp: Number(e.timestamp) })));
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(processor.health().ok, false, 'stalled while the store is down');
    assert.ok(processor.totalBacklog() > 0);
    state.down = false;
    while (processor.totalBacklog() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await processor.stop();
    assert.equal(processor.counters.deadLettered, 1);

    const consumer = await log.consumer('check', DLQ_TOPIC);
    const letters = (await consumer.poll(100, 100)).map(readDeadLetterRecord);
    assert.equal(letters.length, 1);
    const letter = letters[0]!;
    assert.equal(letter.kind, 'letter');
    if (letter.kind !== 'letter') return;
    assert.equal(letter.letter.eventId, 'poison');
    assert.equal(letter.letter.reason.stage, 'sink');
    assert.equal(letter.letter.reason.code, 'SL_STORE_WRITE_FAILED');
    assert.match(letter.letter.reason.message, /refused this event while it takes other writes: .*simulated/);
    assert.match(letter.letter.origin!, /^events\/\d\/\d+$/);
    assert.equal(JSON.parse(letter.letter.original.toString()).id, 'poison');
    await consumer.close();
    await inner.close();
    await log.close();
    const [row] = await queryDuckDb(join(dir, 'hot.duckdb'), "SELECT count(*) AS n, count(*) FILTER (WHERE id = 'poison') AS p FROM events");
    assert.deepEqual(row, { n: 201, p: 0 });
    await cleanup();
  });
});
