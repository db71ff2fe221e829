import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertEngine } from '../../../src/alerts/alert-engine.js';
import { onlyRule, signalsAt, testEngine } from '../../helpers/alerts.js';

const summary = (engine: AlertEngine) => engine.list().map((a) => [a.labels.alertname, a.state, a.value]);

describe('freshness rule', () => {
  it('raises per source past its SLA (default or override), goes firing after `for`, and resolves when new events land', async () => {
    const engine = testEngine(onlyRule('freshness', { sla: '10s', sources: { web: '2s' }, for: '1s' }));
    const newest = (web: number, app: number) => [
      { source: 'web', timestamp: web },
      { source: 'app', timestamp: app },
    ];
    await engine.evaluate(signalsAt(10_000, { newestEventTime: newest(9_000, 5_000) }));
    assert.deepEqual(engine.list(), [], 'web 1 s old (SLA 2 s), app 5 s old (SLA 10 s)');

    await engine.evaluate(signalsAt(12_000, { newestEventTime: newest(9_000, 5_000) }));
    assert.deepEqual(summary(engine), [['SightlineSourceStale', 'pending', 3]]);
    assert.equal(engine.list()[0]!.labels.source, 'web');
    assert.equal(engine.list()[0]!.labels.severity, 'page');

    await engine.evaluate(signalsAt(13_000, { newestEventTime: newest(9_000, 5_000) }));
    assert.deepEqual(summary(engine), [['SightlineSourceStale', 'firing', 4]]);
    assert.match(engine.list()[0]!.annotations.summary, /web is stale/);

    await engine.evaluate(signalsAt(14_000, { newestEventTime: newest(13_500, 5_000) }));
    assert.deepEqual(summary(engine), [['SightlineSourceStale', 'resolved', 4]]);
    assert.equal(engine.list()[0]!.endsAt, new Date(14_000).toISOString());
  });
});

describe('error rate rule', () => {
  const config = onlyRule('errorRate', { threshold: 0.1, window: '10s', minEvents: 100, for: '0s' });

  it('raises when failed/received over the window passes the threshold, and clears when the window holds no more failures', async () => {
    const engine = testEngine(config);
    await engine.evaluate(signalsAt(0, { received: 1000, failed: 500 }));
    assert.deepEqual(engine.list(), [], 'the first reading has no window: what happened before it is unknown');
    await engine.evaluate(signalsAt(5_000, { received: 1200, failed: 510 }));
    assert.deepEqual(summary(engine), [], '10 of 200 is 5%');
    await engine.evaluate(signalsAt(10_000, { received: 1400, failed: 550 }));
    assert.deepEqual(summary(engine), [['SightlineErrorRateHigh', 'firing', 50 / 400]]);
    await engine.evaluate(signalsAt(20_000, { received: 1600, failed: 560 }));
    assert.deepEqual(summary(engine), [['SightlineErrorRateHigh', 'resolved', 50 / 400]], '10 of 200 since 10 s; the value is the last one that broke the threshold');
  });

  it('stays quiet below minEvents, and takes a counter that went down as a restart from zero', async () => {
    const engine = testEngine(config);
    await engine.evaluate(signalsAt(0, { received: 10, failed: 0 }));
    await engine.evaluate(signalsAt(1_000, { received: 60, failed: 40 }));
    assert.deepEqual(engine.list(), [], '40 of 50 failed, but 50 is below minEvents');
    // The platform restarted: counters from zero, 50 received and 30 failed since.
    await engine.evaluate(signalsAt(2_000, { received: 50, failed: 30 }));
    const [alert] = engine.list();
    assert.equal(alert?.state, 'firing');
    assert.equal(alert?.value, (40 + 30) / (50 + 50));
  });
});

describe('backlog rule', () => {
  it('raises when the backlog grew by more than growthEvents over the window, and clears when it stops growing', async () => {
    const engine = testEngine(onlyRule('backlog', { growthEvents: 1000, window: '10s', for: '5s' }));
    await engine.evaluate(signalsAt(0, { backlog: 500 }));
    await engine.evaluate(signalsAt(5_000, { backlog: 1400 }));
    assert.deepEqual(engine.list(), [], 'grew 900');
    await engine.evaluate(signalsAt(10_000, { backlog: 2000 }));
    assert.deepEqual(summary(engine), [['SightlineBacklogGrowth', 'pending', 1500]]);
    await engine.evaluate(signalsAt(15_000, { backlog: 3000 }));
    assert.deepEqual(summary(engine), [['SightlineBacklogGrowth', 'firing', 1600]], 'grew 1600 since 5 s');
    await engine.evaluate(signalsAt(20_000, { backlog: 3000 }));
    assert.deepEqual(summary(engine), [['SightlineBacklogGrowth', 'resolved', 1600]], 'grew 1000 since 10 s: not more than 1000');
  });

  it('does not raise for a large backlog that drains', async () => {
    const engine = testEngine(onlyRule('backlog', { growthEvents: 1000, window: '10s', for: '0s' }));
    for (const [t, backlog] of [[0, 900_000], [5_000, 800_000], [10_000, 700_000]] as const) await engine.evaluate(signalsAt(t, { backlog }));
    assert.deepEqual(engine.list(), []);
  });
});

describe('schema version drift rule', () => {
  it('raises per subject and version whose mismatches increased within the window, and resolves when the window passes', async () => {
    const engine = testEngine(onlyRule('versionDrift', { window: '10s', for: '0s' }));
    await engine.evaluate(signalsAt(0, { versionMismatches: { 'web.page_view@1': 40 } }));
    assert.deepEqual(engine.list(), [], 'mismatches before the first reading are history');
    await engine.evaluate(signalsAt(5_000, { versionMismatches: { 'web.page_view@1': 40, 'app.click@3': 2 } }));
    assert.deepEqual(
      engine.list().map((a) => [a.labels.subject, a.labels.version, a.state, a.value]),
      [['app.click', '3', 'firing', 2]],
      'a new key counts from zero',
    );
    await engine.evaluate(signalsAt(8_000, { versionMismatches: { 'web.page_view@1': 45, 'app.click@3': 2 } }));
    assert.deepEqual(
      engine.list().map((a) => [a.labels.subject, a.state]).sort(),
      [
        ['app.click', 'firing'],
        ['web.page_view', 'firing'],
      ],
    );
    await engine.evaluate(signalsAt(16_000, { versionMismatches: { 'web.page_view@1': 45, 'app.click@3': 2 } }));
    assert.deepEqual(
      engine.list().map((a) => [a.labels.subject, a.state]),
      [
        ['web.page_view', 'firing'],
        ['app.click', 'resolved'],
      ],
      'app.click last rose at 5 s, before 16 s - 10 s',
    );
    await engine.evaluate(signalsAt(19_000, { versionMismatches: { 'web.page_view@1': 45, 'app.click@3': 2 } }));
    assert.deepEqual(
      engine.list().map((a) => [a.labels.subject, a.state]).sort(),
      [
        ['app.click', 'resolved'],
        ['web.page_view', 'resolved'],
      ],
    );
  });
});
