import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertTable } from '../../../src/alerts/alert-table.js';
import type { AlertCondition } from '../../../src/alerts/rules/alert-rule.js';

const rule = { alertname: 'TestAlert', config: { enabled: true, forMs: 1000, severity: 'warn' } };
const condition = (source: string, value = 1): AlertCondition => ({ labels: { source }, annotations: { summary: `s ${source}`, description: `d ${source}` }, value });
const states = (table: AlertTable) => table.all().map((a) => [a.labels.source, a.state]);

describe('alert states (Prometheus semantics)', () => {
  it('goes pending, then firing after `for`, then resolved, and is dropped after the retention', () => {
    const table = new AlertTable(5000);
    assert.deepEqual(table.apply(rule, [condition('web')], 0), []);
    assert.deepEqual(states(table), [['web', 'pending']]);
    assert.deepEqual(table.apply(rule, [condition('web')], 999), [], 'not yet for 1 s');
    const fired = table.apply(rule, [condition('web', 7)], 1000);
    assert.deepEqual(fired.map((t) => t.to), ['firing']);
    const [alert] = table.all();
    assert.equal(alert!.state, 'firing');
    assert.equal(alert!.activeAt, 0);
    assert.equal(alert!.startsAt, 1000);
    assert.equal(alert!.value, 7);
    assert.deepEqual(alert!.labels, { alertname: 'TestAlert', severity: 'warn', source: 'web' });

    const resolved = table.apply(rule, [], 2500);
    assert.deepEqual(resolved.map((t) => t.to), ['resolved']);
    assert.equal(table.all()[0]!.endsAt, 2500);
    table.prune(7499);
    assert.deepEqual(states(table), [['web', 'resolved']], 'kept until the retention passes');
    table.prune(7500);
    assert.deepEqual(states(table), []);
  });

  it('drops a pending alert whose condition stops holding before `for`, without a transition', () => {
    const table = new AlertTable(5000);
    table.apply(rule, [condition('web')], 0);
    assert.deepEqual(table.apply(rule, [], 500), []);
    assert.deepEqual(states(table), []);
    // And the clock of `for` starts again from the next time it holds.
    table.apply(rule, [condition('web')], 600);
    assert.deepEqual(table.apply(rule, [condition('web')], 1500), []);
    assert.equal(table.apply(rule, [condition('web')], 1600).length, 1);
  });

  it('fires at once when `for` is 0, and starts a new pending alert when a resolved one holds again', () => {
    const table = new AlertTable(60_000);
    const immediate = { ...rule, config: { ...rule.config, forMs: 0 } };
    assert.deepEqual(table.apply(immediate, [condition('web')], 10).map((t) => t.to), ['firing']);
    table.apply(immediate, [], 20);
    assert.deepEqual(table.apply(immediate, [condition('web')], 30).map((t) => t.to), ['firing']);
    const [alert] = table.all();
    assert.equal(alert!.activeAt, 30, 'a new alert, not the resolved one revived');
    assert.equal(alert!.endsAt, undefined);
  });

  it('keeps each instance (label set) apart and only touches the alerts of the rule applied', () => {
    const table = new AlertTable(60_000);
    const other = { alertname: 'OtherAlert', config: { enabled: true, forMs: 0, severity: 'page' } };
    table.apply(other, [condition('app')], 0);
    table.apply(rule, [condition('web'), condition('app')], 0);
    table.apply(rule, [condition('web')], 100);
    assert.deepEqual(
      table.all().map((a) => [a.labels.alertname, a.labels.source, a.state]),
      [
        ['OtherAlert', 'app', 'firing'],
        ['TestAlert', 'web', 'pending'],
      ],
    );
    assert.notEqual(table.all()[0]!.fingerprint, table.all()[1]!.fingerprint);
  });
});
