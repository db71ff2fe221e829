import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { LineageEmitter, SIGHTLINE_PRODUCER } from '../../../src/lineage/lineage-emitter.js';
import type { LineageStats } from '../../../src/lineage/lineage-stats.js';
import { MemoryLineageSink, sampleLineageStats, T0 } from '../../helpers/lineage.js';
import { openLineageValidator } from '../../helpers/openlineage.js';

const validator = openLineageValidator();
const logger = pino({ level: 'silent' });
const JOBS = ['sightline.ingest', 'sightline.process.main', 'sightline.archive'];

/** An emitter over a snapshot the test changes between rounds; RUNNING only when the test ticks. */
function setup(first: LineageStats = sampleLineageStats()) {
  let stats = first;
  const sink = new MemoryLineageSink();
  const emitter = new LineageEmitter({ namespace: 'sightline', intervalMs: 0, stats: async () => stats, sinks: [sink], logger });
  const seen = (from = 0) => sink.events.slice(from).map((e) => [e.job.name, e.eventType]);
  return { sink, emitter, seen, set: (s: LineageStats) => (stats = s) };
}

describe('LineageEmitter', () => {
  it('sends START for each job at start, RUNNING each round, COMPLETE at a clean stop, all in one run per job', async () => {
    const { sink, emitter, seen, set } = setup();
    await emitter.start();
    assert.deepEqual(seen(), JOBS.map((j) => [j, 'START']));
    set(sampleLineageStats({ now: T0 + 60_000 }));
    await emitter.tick();
    assert.deepEqual(seen(3), JOBS.map((j) => [j, 'RUNNING']));
    await emitter.stop();
    assert.deepEqual(seen(6), JOBS.map((j) => [j, 'COMPLETE']));
    assert.ok(sink.closed);
    for (const job of JOBS) {
      const runIds = new Set(sink.events.filter((e) => e.job.name === job).map((e) => e.run.runId));
      assert.equal(runIds.size, 1, job);
    }
    assert.equal(sink.events[3]!.eventTime, new Date(T0 + 60_000).toISOString());
    for (const event of sink.events) {
      assert.equal(event.producer, SIGHTLINE_PRODUCER);
      assert.deepEqual(validator.problems(event), [], `${event.job.name} ${event.eventType}`);
    }
  });

  it('sends FAIL with the reason when the pipeline fails, nothing while it still fails, and a new run once it recovers', async () => {
    const { sink, emitter, seen, set } = setup();
    await emitter.start();
    const failing = sampleLineageStats({ now: T0 + 1000, process: { ...sampleLineageStats().process, failing: 'hot store write failed: disk full' } });
    set(failing);
    await emitter.tick();
    assert.deepEqual(seen(3), [
      ['sightline.ingest', 'RUNNING'],
      ['sightline.process.main', 'FAIL'],
      ['sightline.archive', 'RUNNING'],
    ]);
    const fail = sink.events[4]!;
    assert.equal(fail.run.facets.errorMessage.message, 'hot store write failed: disk full');
    assert.equal(fail.run.runId, sink.events[1]!.run.runId);
    await emitter.tick();
    assert.deepEqual(seen(6), [
      ['sightline.ingest', 'RUNNING'],
      ['sightline.archive', 'RUNNING'],
    ]);
    set(sampleLineageStats({ now: T0 + 3000 }));
    await emitter.tick();
    assert.deepEqual(seen(8), [
      ['sightline.ingest', 'RUNNING'],
      ['sightline.process.main', 'START'],
      ['sightline.archive', 'RUNNING'],
    ]);
    assert.notEqual(sink.events[9]!.run.runId, fail.run.runId);
    await emitter.stop();
    for (const event of sink.events) assert.deepEqual(validator.problems(event), [], `${event.job.name} ${event.eventType}`);
  });

  it('ends a run that still fails at stop with FAIL, and one failing from the start with START then FAIL', async () => {
    const { emitter, seen } = setup(sampleLineageStats({ cold: { root: '/c', datasets: [], lastError: 'export failed: no space' } }));
    await emitter.start();
    assert.deepEqual(seen(), [
      ['sightline.ingest', 'START'],
      ['sightline.process.main', 'START'],
      ['sightline.archive', 'START'],
      ['sightline.archive', 'FAIL'],
    ]);
    await emitter.stop();
    assert.deepEqual(seen(4), [
      ['sightline.ingest', 'COMPLETE'],
      ['sightline.process.main', 'COMPLETE'],
    ]);
  });

  it('sends RUNNING on its interval', async () => {
    const sink = new MemoryLineageSink();
    const emitter = new LineageEmitter({ namespace: 'sightline', intervalMs: 20, stats: async () => sampleLineageStats(), sinks: [sink], logger });
    await emitter.start();
    await new Promise((r) => setTimeout(r, 110));
    await emitter.stop();
    assert.ok(sink.events.filter((e) => e.eventType === 'RUNNING').length >= 6, `${sink.events.length} events`);
  });

  it('skips a round whose snapshot fails, and does nothing at all without a sink', async () => {
    let calls = 0;
    const sink = new MemoryLineageSink();
    const flaky = new LineageEmitter({
      namespace: 'sightline',
      intervalMs: 0,
      stats: async () => {
        calls++;
        if (calls === 2) throw new Error('hot store busy');
        return sampleLineageStats();
      },
      sinks: [sink],
      logger,
    });
    await flaky.start();
    await flaky.tick();
    await flaky.stop();
    assert.deepEqual(sink.events.map((e) => e.eventType), ['START', 'START', 'START', 'COMPLETE', 'COMPLETE', 'COMPLETE']);

    let asked = false;
    const idle = new LineageEmitter({ namespace: 'sightline', intervalMs: 10, stats: async () => ((asked = true), sampleLineageStats()), sinks: [], logger });
    await idle.start();
    await idle.stop();
    assert.equal(asked, false);
  });
});
