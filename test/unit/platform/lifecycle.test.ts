import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Component, StopOptions } from '../../../src/platform/component.js';
import { type ComponentName, inStartOrder, START_ORDER, startInOrder, stopInReverse } from '../../../src/platform/lifecycle.js';

const logger = pino({ level: 'silent' });

/** A component that records what happens to it in `journal`, and fails where told. */
function recording(name: string, journal: string[], fail: { start?: boolean; stop?: boolean } = {}): Component {
  return {
    name,
    async start() {
      journal.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} cannot start`);
    },
    async stop(options: StopOptions) {
      journal.push(`stop ${name}${options.drain ? '' : ' (no drain)'}`);
      if (fail.stop) throw new Error(`${name} cannot stop`);
    },
  };
}

describe('lifecycle', () => {
  it('puts components in the written order, skipping those a process does not run', () => {
    const journal: string[] = [];
    const parts: Partial<Record<ComponentName, Component>> = { http: recording('http', journal), log: recording('log', journal), stores: recording('stores', journal) };
    assert.deepEqual(inStartOrder(parts).map((c) => c.name), ['stores', 'log', 'http']);
  });

  it('keeps the order its reasons need', () => {
    const before = (a: ComponentName, b: ComponentName, why: string) => assert.ok(START_ORDER.indexOf(a) < START_ORDER.indexOf(b), `${a} starts before ${b}: ${why}`);
    assert.equal(START_ORDER[0], 'tracing', 'the tracer stops last, so the shutdown is traced');
    before('stores', 'log', "the hot store's lock guards the data folder before log recovery");
    before('log', 'registry', 'the registry follows its topic on the log');
    before('registry', 'ingest', "the config's contracts are registered before ingest takes an event");
    before('lineage', 'serve', 'lineage reports COMPLETE after the pipeline drained');
    before('serve', 'process', 'serve loads, indexes and archives what processing drains');
    before('process', 'ingest', 'nothing new arrives while processing drains');
    before('ingest', 'http', 'ingest routes exist before the API listens, and the API closes first');
    before('http', 'probe', 'the probe uses the API');
    before('http', 'alerts', 'alerts link to the API');
  });

  it('starts in order and stops in reverse, draining on a clean stop', async () => {
    const journal: string[] = [];
    const components = ['a', 'b', 'c'].map((n) => recording(n, journal));
    await startInOrder(components, logger);
    await stopInReverse(components, logger);
    assert.deepEqual(journal, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('after a failed start, stops what started in reverse without draining, and reports the start error even when a stop fails too', async () => {
    const journal: string[] = [];
    const components = [recording('a', journal), recording('b', journal, { stop: true }), recording('c', journal, { start: true }), recording('d', journal)];
    await assert.rejects(startInOrder(components, logger), /c cannot start/);
    assert.deepEqual(journal, ['start a', 'start b', 'start c', 'stop b (no drain)', 'stop a (no drain)']);
  });

  it('goes on stopping past a component that fails to stop, then reports the first failure', async () => {
    const journal: string[] = [];
    const components = [recording('a', journal, { stop: true }), recording('b', journal), recording('c', journal, { stop: true })];
    await assert.rejects(stopInReverse(components, logger), /c cannot stop/);
    assert.deepEqual(journal, ['stop c', 'stop b', 'stop a']);
  });
});
