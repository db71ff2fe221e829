import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EwmaBaseline, hourOfWeek } from '../../../src/alerts/ewma-baseline.js';
import { VolumeRule } from '../../../src/alerts/rules/volume-rule.js';
import { MemoryAlertSink, onlyRule, signalsAt, testEngine } from '../../helpers/alerts.js';

const BUCKET = 500;
const T0 = 1_795_683_600_000; // a multiple of the bucket
const volumeConfig = (over: Record<string, unknown> = {}) =>
  onlyRule('volume', { bucket: `${BUCKET}ms`, alpha: 0.5, dropRatio: 0.5, spikeRatio: 3, warmupBuckets: 3, minBaselineEvents: 10, for: '0s', ...over });

/** Drives an engine with one web/page_view series: `add(n)` sends n events over the next bucket, read twice in it. */
function driver(config = volumeConfig()) {
  const sink = new MemoryAlertSink();
  const engine = testEngine(config, { sinks: [sink] });
  let now = T0;
  let total = 0;
  const read = () => engine.evaluate(signalsAt(now, { volume: [{ source: 'web', type: 'page_view', events: total }] }));
  return {
    engine,
    sink,
    start: read,
    async add(events: number) {
      // Half the events in each half of the bucket: the rule shares them between readings by time.
      total += Math.floor(events / 2);
      now += BUCKET / 2;
      await read();
      total += events - Math.floor(events / 2);
      now += BUCKET / 2;
      await read();
    },
    state: () => engine.list().map((a) => [a.labels.direction, a.state, Math.round(a.value)]),
  };
}

describe('volume rule', () => {
  it('learns a baseline, raises a drop below baseline*(1-dropRatio), and resolves when volume comes back', async () => {
    const d = driver();
    await d.start();
    for (const n of [100, 100, 100]) await d.add(n);
    assert.deepEqual(d.state(), [], 'warm-up');
    await d.add(60);
    assert.deepEqual(d.state(), [], '60 is above 50: not a drop');
    await d.add(20);
    assert.deepEqual(d.state(), [['drop', 'firing', 20]]);
    const [alert] = d.engine.list();
    assert.deepEqual(alert!.labels, { alertname: 'SightlineVolumeAnomaly', severity: 'warn', source: 'web', type: 'page_view', direction: 'drop' });
    await d.add(0);
    assert.deepEqual(d.state(), [['drop', 'firing', 0]], 'still down; the value follows the last bucket');
    // The drop buckets did not pull the baseline down (80 = 0.5*60 + 0.5*100): it stands where it was.
    assert.match(d.engine.list()[0]!.annotations.summary, /baseline of 80\b/);
    await d.add(90);
    assert.deepEqual(d.state(), [['drop', 'resolved', 0]]);
    assert.deepEqual(
      d.sink.groups.map((g) => [g.groupLabels.alertname, g.alerts.map((a) => `${a.labels.direction}:${a.state}:${Math.round(a.value)}`)]),
      [
        ['SightlineVolumeAnomaly', ['drop:firing:20']],
        ['SightlineVolumeAnomaly', ['drop:resolved:0']],
      ],
      'the sinks hear of the change to firing and to resolved, not of the buckets between; the first group was a copy',
    );
  });

  it('raises a spike above max(baseline, minBaselineEvents)*spikeRatio, and ignores drops of a baseline below minBaselineEvents', async () => {
    const d = driver();
    await d.start();
    for (const n of [4, 4, 4]) await d.add(n);
    await d.add(0);
    assert.deepEqual(d.state(), [], 'a baseline of 4 is below minBaselineEvents: no drop');
    // The baseline is now 2 (0 was a normal bucket): a spike is above max(2, 10) * 3.
    await d.add(31);
    assert.deepEqual(d.state(), [['spike', 'firing', 31]]);
    await d.add(4);
    assert.deepEqual(d.state(), [['spike', 'resolved', 31]]);
    await d.add(30);
    assert.deepEqual(d.state(), [['spike', 'resolved', 31]], '30 is not above 30');
  });

  it('takes a lasting level as the new normal after relearnAfterBuckets anomalous buckets', async () => {
    const d = driver(volumeConfig({ relearnAfterBuckets: 3 }));
    await d.start();
    for (const n of [100, 100, 100]) await d.add(n);
    await d.add(400);
    await d.add(400);
    assert.deepEqual(d.state(), [['spike', 'firing', 400]]);
    await d.add(400);
    assert.deepEqual(d.state(), [['spike', 'resolved', 400]], 'the third anomalous bucket relearns');
    await d.add(420);
    await d.add(30);
    assert.deepEqual(
      d.state(),
      [
        ['drop', 'firing', 30],
        ['spike', 'resolved', 400],
      ],
      'the drop is now against 410',
    );
  });

  it('shares events between buckets by time, skips the first partial bucket, and survives a counter reset', async () => {
    const engine = testEngine(volumeConfig({ warmupBuckets: 1 }));
    const read = (t: number, events: number) => engine.evaluate(signalsAt(t, { volume: [{ source: 'web', type: 'page_view', events }] }));
    await read(T0 + 250, 5000); // mid-bucket: [T0, T0+500) is partial and never judged
    await read(T0 + 500, 5000);
    // One reading across two buckets: 200 events, 100 to each.
    await read(T0 + 1500, 5200);
    assert.deepEqual(engine.list(), [], 'the first full bucket is the warm-up, the second matches it');
    // The platform restarted: the counter starts again from zero and 100 events came since.
    await read(T0 + 2000, 100);
    assert.deepEqual(engine.list(), []);
    await read(T0 + 2500, 120);
    assert.deepEqual(engine.list().map((a) => [a.labels.direction, Math.round(a.value)]), [['drop', 20]]);
  });

  it('judges a series that stops being reported as zero events, not as missing', async () => {
    const rule = new VolumeRule(volumeConfig().volume);
    const at = (t: number, events?: number) => rule.evaluate(signalsAt(t, { volume: events === undefined ? [] : [{ source: 'app', type: 'click', events }] }));
    at(T0, 0);
    for (let i = 1; i <= 4; i++) at(T0 + i * BUCKET, i * 50);
    assert.deepEqual(at(T0 + 5 * BUCKET).map((c) => c.labels.direction), ['drop']);
  });
});

describe('EWMA baseline by hour of week', () => {
  const MONDAY = Date.UTC(2026, 10, 23);
  const HOUR = 3_600_000;

  it('numbers the hours of the week from Monday 00:00 UTC', () => {
    assert.equal(hourOfWeek(MONDAY), 0);
    assert.equal(hourOfWeek(MONDAY + 13 * HOUR + 59 * 60_000), 13);
    assert.equal(hourOfWeek(MONDAY + 7 * 24 * HOUR - 1), 167);
    assert.equal(hourOfWeek(MONDAY + 7 * 24 * HOUR), 0);
  });

  it('answers from a slot once it has enough samples, and from the global average before', () => {
    const baseline = new EwmaBaseline({ alpha: 0.5, hourOfWeek: true, slotWarmup: 2 });
    const night = MONDAY + 3 * HOUR;
    const noon = MONDAY + 12 * HOUR;
    assert.equal(baseline.expected(noon), undefined);
    baseline.learn(night, 10);
    baseline.learn(noon, 100);
    assert.equal(baseline.expected(noon), 55, 'global: 0.5*100 + 0.5*10');
    baseline.learn(night + 7 * 24 * HOUR, 10);
    baseline.learn(noon + 7 * 24 * HOUR, 100);
    assert.equal(baseline.expected(night), 10);
    assert.equal(baseline.expected(noon), 100);
    assert.equal(baseline.expected(MONDAY + 20 * HOUR), 66.25, 'an hour without samples: the global average of 10, 100, 10, 100');
    const flat = new EwmaBaseline({ alpha: 0.5, hourOfWeek: false, slotWarmup: 2 });
    for (const [t, n] of [[night, 10], [noon, 100], [night, 10], [noon, 100]] as const) flat.learn(t, n);
    assert.equal(flat.expected(night), 66.25);
  });
});
