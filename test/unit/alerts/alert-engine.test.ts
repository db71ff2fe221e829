import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AlertEngine } from '../../../src/alerts/alert-engine.js';
import type { AlertSignals } from '../../../src/alerts/signals.js';
import { metricValue, parseExposition } from '../../helpers/metrics.js';
import { onlyRule, signalsAt } from '../../helpers/alerts.js';

it('evaluates on its timer from the signal source, counts a failed reading, and stops', async () => {
  const readings: number[] = [];
  let fail = true;
  const registry = new Registry();
  const engine = new AlertEngine({
    config: onlyRule('backlog', { growthEvents: 10, window: '1m', for: '0s' }, { evaluationInterval: '20ms' }),
    signals: async (): Promise<AlertSignals> => {
      readings.push(Date.now());
      if (fail) {
        fail = false;
        throw new Error('the log is closed');
      }
      return signalsAt(Date.now(), { backlog: readings.length * 100 });
    },
    logger: pino({ level: 'silent' }),
    registry,
    externalUrl: 'http://127.0.0.1:8080',
  });
  engine.start();
  while (readings.length < 4) await sleep(10);
  await engine.stop();
  const count = readings.length;
  await sleep(60);
  assert.equal(readings.length, count, 'no evaluation after stop');
  const samples = parseExposition(await registry.metrics());
  assert.equal(metricValue(samples, 'sightline_alert_evaluations_total', { result: 'failed' }), 1);
  assert.ok(metricValue(samples, 'sightline_alert_evaluations_total', { result: 'ok' }) >= 3);
  assert.deepEqual(engine.list().map((a) => [a.labels.alertname, a.state]), [['SightlineBacklogGrowth', 'firing']]);
  assert.equal(metricValue(samples, 'sightline_alerts', { alertname: 'SightlineBacklogGrowth', state: 'firing' }), 1);
});

it('runs only the enabled rules, and evaluations given at once run one after the other', async () => {
  const engine = new AlertEngine({
    config: onlyRule('freshness', { sla: '1s', for: '0s' }, { backlog: { enabled: false } }),
    signals: () => signalsAt(0),
    logger: pino({ level: 'silent' }),
    externalUrl: 'http://127.0.0.1:8080',
  });
  const stale = (now: number) => signalsAt(now, { newestEventTime: [{ source: 'web', timestamp: 0 }], backlog: now * 1000 });
  await Promise.all([engine.evaluate(stale(500)), engine.evaluate(stale(5_000)), engine.evaluate(stale(6_000))]);
  assert.deepEqual(engine.list().map((a) => [a.labels.alertname, a.state, a.activeAt]), [['SightlineSourceStale', 'firing', new Date(5_000).toISOString()]]);
});
