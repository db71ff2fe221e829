import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LineageSink, LineageSinkStats } from '../../src/core/ports/lineage-sink.js';

/**
 * One destination of the adapter under test (a file, an HTTP endpoint), observed from outside the
 * sink: what it holds is what was delivered, whatever the sink's counters say.
 */
export interface LineageDestination {
  /** A sink of the adapter under test delivering here; `maxQueue` as the config sets it. */
  sink(options: { maxQueue: number }): LineageSink;
  /** Every event the destination has taken so far, in the order it took them, parsed back. */
  taken(): Promise<unknown[]>;
  teardown(): Promise<void>;
}

export interface LineageSinkSubject {
  /** A destination that takes every event, except that where `stalls` holds it never answers for an event carrying `stall: true`. */
  working(): Promise<LineageDestination>;
  /** Whether this adapter's destination can be made to hang; the tests that need a delivery stuck in flight run only then. */
  stalls: boolean;
  /** Destinations on which every delivery fails, each one way this adapter's destination breaks in the field. */
  broken: Array<{ name: string; open: () => Promise<LineageDestination> }>;
}

const event = (n: number, extra: Record<string, unknown> = {}) => ({ n, eventType: n === 0 ? 'START' : 'RUNNING', run: { runId: `run-${n % 3}` }, ...extra });

/** Every event emitted is delivered, given up, dropped or still queued: none is lost from the counts. */
function assertAddsUp(stats: LineageSinkStats, emitted: number): void {
  assert.equal(stats.delivered + stats.failed + stats.dropped + stats.queued, emitted, `delivered + failed + dropped + queued = ${emitted} emitted: ${JSON.stringify(stats)}`);
}

/** Fails the test instead of hanging it when a promise the port says resolves does not. */
export async function settles<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The contract every LineageSink adapter passes (src/core/ports/lineage-sink.ts). */
export function lineageSinkContract(name: string, subject: LineageSinkSubject): void {
  describe(`LineageSink contract: ${name}`, () => {
    it('delivers every event once, in emit order, across flushes and close', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const sink = destination.sink({ maxQueue: 1000 });
      const events = Array.from({ length: 60 }, (_, n) => event(n));
      for (const e of events.slice(0, 40)) sink.emit(e);
      await settles('flush', sink.flush());
      assert.deepEqual(await destination.taken(), events.slice(0, 40), 'everything emitted before flush is there when it resolves');
      assert.deepEqual(sink.stats(), { delivered: 40, failed: 0, dropped: 0, retries: 0, queued: 0 });
      for (const e of events.slice(40)) sink.emit(e);
      await settles('close', sink.close(10_000));
      assert.deepEqual(await destination.taken(), events, 'close delivers what is queued');
      assert.deepEqual(sink.stats(), { delivered: 60, failed: 0, dropped: 0, retries: 0, queued: 0 });
    });

    it('only queues on emit: nothing to wait on, nothing delivered yet, and the event counted as queued until it is', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const sink = destination.sink({ maxQueue: 100 });
      // A sink that wrote or sent inside emit would hold up the platform on every event.
      assert.equal(sink.emit(event(0)) as unknown, undefined);
      assert.deepEqual(sink.stats(), { delivered: 0, failed: 0, dropped: 0, retries: 0, queued: 1 });
      for (let n = 1; n < 5; n++) sink.emit(event(n));
      assertAddsUp(sink.stats(), 5);
      assert.equal(sink.stats().queued, 5, 'the event being delivered is still queued');
      await settles('flush', sink.flush());
      assert.deepEqual(sink.stats(), { delivered: 5, failed: 0, dropped: 0, retries: 0, queued: 0 });
      await sink.close(1000);
    });

    it('takes nothing once close is called: a later emit does not throw, is dropped and counted; close and flush may be called again', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const sink = destination.sink({ maxQueue: 100 });
      sink.emit(event(0));
      const closing = sink.close(5000);
      // While close still delivers what was queued before it.
      assert.doesNotThrow(() => sink.emit(event(1)));
      assert.equal(sink.stats().dropped, 1);
      await settles('close', closing);
      assert.doesNotThrow(() => sink.emit(event(2)));
      assert.deepEqual(sink.stats(), { delivered: 1, failed: 0, dropped: 2, retries: 0, queued: 0 });
      await settles('flush after close', sink.flush());
      await settles('a second close', sink.close(1000));
      assert.deepEqual(await destination.taken(), [event(0)]);
      assertAddsUp(sink.stats(), 3);
    });

    it('drops what finds the queue full and counts it; holds no more than maxQueue waiting; keeps the order of what it takes', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const maxQueue = 5;
      const sink = destination.sink({ maxQueue });
      for (let n = 0; n < 30; n++) sink.emit(event(n));
      const now = sink.stats();
      assertAddsUp(now, 30);
      // maxQueue waiting, and at most one being delivered.
      assert.ok(now.queued <= maxQueue + 1, JSON.stringify(now));
      assert.ok(now.dropped >= 30 - (maxQueue + 1), JSON.stringify(now));
      await settles('flush', sink.flush());
      const after = sink.stats();
      assertAddsUp(after, 30);
      assert.equal(after.queued, 0);
      assert.ok(after.delivered >= maxQueue, `a full queue still takes maxQueue events: ${JSON.stringify(after)}`);
      const taken = (await destination.taken()) as Array<{ n: number }>;
      assert.equal(taken.length, after.delivered, 'what the destination holds is what the sink counts delivered');
      const order = taken.map((e) => e.n);
      assert.deepEqual(order, [...order].sort((a, b) => a - b), 'in emit order');
      assert.equal(new Set(order).size, order.length, 'each once');
      await sink.close(1000);
    });

    it('never throws on an event it cannot serialise: counts it as given up and goes on with the next', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const sink = destination.sink({ maxQueue: 100 });
      const circular: Record<string, unknown> = event(1);
      circular.self = circular;
      sink.emit(event(0));
      assert.doesNotThrow(() => sink.emit(circular));
      assert.doesNotThrow(() => sink.emit(event(2, { bytes: 10n })));
      sink.emit(event(3));
      assertAddsUp(sink.stats(), 4);
      await settles('flush', sink.flush());
      assert.deepEqual(await destination.taken(), [event(0), event(3)]);
      const stats = sink.stats();
      assert.equal(stats.delivered, 2);
      assert.equal(stats.failed + stats.dropped, 2, JSON.stringify(stats));
      assertAddsUp(stats, 4);
      await sink.close(1000);
    });

    // A destination that cannot be made to hang on one event (a file) does not declare these two;
    // the file sink's own test covers its close deadline with a write stuck on a FIFO.
    const whenStalls = subject.stalls ? it : () => undefined;

    whenStalls('flush waits for the events emitted before it, not for a later one that hangs; the one in flight counts as queued', async (t) => {
      const destination = await subject.working();
      const sink = destination.sink({ maxQueue: 100 });
      // The endpoint first: it lets go of the request it holds, so close(0) cannot be held up by it.
      t.after(async () => {
        await destination.teardown();
        await sink.close(0);
      });
      sink.emit(event(0));
      sink.emit(event(1));
      const flushed = sink.flush();
      sink.emit(event(2, { stall: true }));
      sink.emit(event(3));
      await settles('flush while a later delivery hangs', flushed, 5000);
      assert.deepEqual(await destination.taken(), [event(0), event(1)]);
      assert.deepEqual(sink.stats(), { delivered: 2, failed: 0, dropped: 0, retries: 0, queued: 2 });
    });

    whenStalls('close delivers what it can and gives up on the rest at its deadline, counting it dropped or failed', async (t) => {
      const destination = await subject.working();
      t.after(() => destination.teardown());
      const sink = destination.sink({ maxQueue: 100 });
      sink.emit(event(0));
      sink.emit(event(1, { stall: true }));
      for (let n = 2; n < 6; n++) sink.emit(event(n));
      assertAddsUp(sink.stats(), 6);
      const started = performance.now();
      await settles('close', sink.close(300), 5000);
      const took = performance.now() - started;
      assert.ok(took < 2300, `close(300) took ${Math.round(took)} ms`);
      const stats = sink.stats();
      assert.equal(stats.delivered, 1, JSON.stringify(stats));
      assert.equal(stats.failed + stats.dropped, 5, JSON.stringify(stats));
      assert.equal(stats.queued, 0);
      assert.deepEqual(await destination.taken(), [event(0)]);
      sink.emit(event(6));
      assertAddsUp(sink.stats(), 7);
    });

    for (const broken of subject.broken) {
      it(`never throws when its destination is broken (${broken.name}): counts each event failed; flush and close resolve`, async (t) => {
        const destination = await broken.open();
        t.after(() => destination.teardown());
        const sink = destination.sink({ maxQueue: 100 });
        for (let n = 0; n < 5; n++) assert.doesNotThrow(() => sink.emit(event(n)));
        assertAddsUp(sink.stats(), 5);
        await settles('flush', sink.flush());
        const stats = sink.stats();
        // Each was attempted (the queue had room and the sink was open), so each was given up, not dropped.
        assert.deepEqual({ ...stats, retries: 0 }, { delivered: 0, failed: 5, dropped: 0, retries: 0, queued: 0 });
        assert.deepEqual(await destination.taken(), []);
        for (let n = 5; n < 8; n++) assert.doesNotThrow(() => sink.emit(event(n)));
        const started = performance.now();
        await settles('close', sink.close(300), 5000);
        assert.ok(performance.now() - started < 2300, `close(300) took ${Math.round(performance.now() - started)} ms`);
        assert.doesNotThrow(() => sink.emit(event(8)));
        const closed = sink.stats();
        assert.equal(closed.delivered, 0);
        assert.equal(closed.queued, 0);
        assertAddsUp(closed, 9);
      });
    }
  });
}
