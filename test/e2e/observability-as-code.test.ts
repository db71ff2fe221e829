import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { prometheusSkipReason } from '../helpers/prometheus.js';

const DIR = fileURLToPath(new URL('../../../deploy/observability/', import.meta.url));
const skip = prometheusSkipReason();

const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });

/** deploy/observability is checked as code: promtool validates the config and rules, and unit-tests every alert. */
describe('deploy/observability', { skip }, () => {
  it('the scrape config and alert rules are valid', () => {
    const config = promtool('check', 'config', 'prometheus.yml');
    assert.equal(config.status, 0, config.stdout + config.stderr);
    const rules = promtool('check', 'rules', 'alerts.yml');
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
    assert.match(rules.stdout, /SUCCESS: 8 rules found/);
  });

  it('the Grafana dashboard has a panel for every chart and tile of /ui', () => {
    const dashboard = JSON.parse(readFileSync(`${DIR}/grafana/sightline.json`, 'utf8')) as { panels: Array<{ title: string }> };
    const page = readFileSync(fileURLToPath(new URL('../../../ui/index.html', import.meta.url)), 'utf8');
    const onPage = [...page.matchAll(/<figcaption>([^<(]+)/g), ...page.matchAll(/class="label">([^<(]+)/g)].map((m) => m[1]!.trim().toLowerCase());
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    const missing = onPage.filter((label) => !titles.some((t) => t.startsWith(label.split(' ')[0]!) || label.startsWith(t.split(' ')[0]!)));
    assert.deepEqual(missing, []);
  });

  it('every alert fires on the series that should trigger it (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'alerts.test.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const alerts = [...readFileSync(`${DIR}/alerts.yml`, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tested = new Set([...readFileSync(`${DIR}/alerts.test.yml`, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    assert.deepEqual(alerts.filter((a) => !tested.has(a)), [], 'every alert has a test');
  });
});
