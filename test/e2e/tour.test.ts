import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkipReason } from '../helpers/chromium.js';
import { getJson, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { metricValue, parseExposition } from '../helpers/metrics.js';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
/**
 * The second platform's probe interval. With the default (30 s) the tour would wait half a minute
 * for the canary; it is the only periodic task of the example config between the reference data's
 * reload (2 s) and a minute, so a shorter one gives the same "after the probe has run" state.
 */
const LATER_PROBE_INTERVAL = '1s';

/** An ISO date-time or epoch-ms time of the processing clock, masked: it differs between two runs. */
const masked = (text: string): string =>
  text
    .replace(/2026-12-\d\dT[\d:.]+Z|20\d\d-\d\d-\d\dT(?!09:|08:)[\d:.]+Z/g, '<now>')
    .replace(/--since \d+/g, '--since <start>')
    .replace(/\(\d+\.\d s, \d+ events\/s\)/g, '(<timing>)')
    .replace(/· \d+ events\/s/g, '· <rate>');

/**
 * The README's tour, step by step, as a new user runs it against `up --config
 * examples/sightline.yaml`: what each command printed, with the processing clock masked.
 */
async function runTour(url: string, dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const post = async (events: unknown[]) => (await postEvents(url, events)).body;
  out.first = await post([
    { id: 'pv-1', source: 'web', type: 'page_view', timestamp: 1795683600000, payload: { user_id: 'u42', page: '/home' } },
    { id: 'pv-1', source: 'web', type: 'page_view', timestamp: 1795683600000, payload: { user_id: 'u42', page: '/home' } },
    { id: 'pv-2', source: 'web', type: 'page_view', payload: { user_id: 'u1', page: '/home' } },
  ]);
  const send = await runCli(['send', join(EXAMPLES, 'page_views.ndjson'), '--url', url]);
  out.send = { code: send.code, stdout: masked(send.stdout), stderr: masked(send.stderr) };
  out.contract = await post([
    { id: 'pv-x', source: 'web', type: 'page_view', timestamp: 1795683600000, payload: { user_id: 'u1', page: 'home' } },
    { id: 'ck-1', source: 'web', type: 'click', timestamp: 1795684200000, payload: { x: 1 } },
  ]);
  await waitForBacklogZero(url);
  out.schemaList = (await runCli(['schema', 'list', '--url', url])).stdout;
  assert.doesNotMatch(out.schemaList as string, /sightline/, 'the probe\'s built-in contract is not a subject');
  const contract = JSON.parse(await readFile(join(EXAMPLES, 'contracts', 'web.page_view.json'), 'utf8')) as { properties: Record<string, unknown> };
  await writeFile(join(dir, 'page_view.json'), JSON.stringify({ ...contract, properties: { ...contract.properties, page: { type: 'integer' } } }));
  out.schemaCheck = (await runCli(['schema', 'check', 'web.page_view', join(dir, 'page_view.json'), '--url', url])).code;
  out.recent = ((await getJson(`${url}/v1/events/recent?user_id=u42&limit=2`)).body.events as Array<{ id: string; metadata: unknown }>).map((e) => [e.id, e.metadata]);
  const windows = async (query: string) => ((await getJson(`${url}/v1/aggregates/page-views?${query}`)).body.windows as Array<Record<string, unknown>>).map((w) => [w.window_start, w.page, w.count]);
  out.fiveMinute = await windows('window=5m');
  out.home = (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=/home&from=2026-11-26T09:00:00Z&to=2026-11-26T09:05:00Z`)).body.windows;
  const pipe = (await getJson(`${url}/v1/pipes/top_pages?from=2026-11-26T09:00:00Z&limit=3`)).body as { version: number; data: Array<{ page: string; views: number }>; next_cursor: string | null };
  out.topPages = { version: pipe.version, rows: pipe.data.map((r) => [r.page, r.views]), more: pipe.next_cursor !== null };
  out.lateAndBob = await post([
    { id: 'pv-late', source: 'web', type: 'page_view', timestamp: 1795680000000, payload: { user_id: 'u1', page: '/home' } },
    { id: 'pv-bob', source: 'web', type: 'page_view', timestamp: 1795684200000, payload: { user_id: 'bob', page: '/home' } },
  ]);
  await waitForBacklogZero(url);
  await new Promise((r) => setTimeout(r, 500));
  out.dlq = masked((await runCli(['dlq', 'list', '--url', url])).stdout);
  // Letters of one batch reach the queue in the order their partitions were read, which may differ
  // between two runs: compared as a set of entries.
  out.dlqEntries = (out.dlq as string)
    .split(/\n(?=\d+-\d+ )/)
    .map((entry) => entry.replace(/^\d+-\d+ {2}/, '').trim())
    .sort();
  await writeFile(join(dir, 'click.json'), '{"type":"object"}');
  out.register = (await runCli(['schema', 'register', 'web.click', join(dir, 'click.json'), '--url', url])).code;
  out.replay = masked((await runCli(['dlq', 'replay', '--code', 'SL_CONTRACT_UNKNOWN', '--url', url])).stdout.split('\n').filter((l) => l.startsWith('replayed')).join('\n'));
  const pv239 = (await getJson(`${url}/v1/events/pv-0239`)).body;
  out.lookup = [pv239.event?.id, pv239.event?.metadata?.enrichment];
  return out;
}

describe('the README tour, at any pace', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let right: PlatformProcess;
  let later: PlatformProcess;

  before(async () => {
    tmp = await tempDir();
    // The example config as it is, beside its contract and users file, with only the probe's
    // interval set: the later run's platform.
    const laterExamples = join(tmp.dir, 'examples-later');
    await cp(EXAMPLES, laterExamples, { recursive: true });
    await appendFile(join(laterExamples, 'sightline.yaml'), `probe:\n  interval: ${LATER_PROBE_INTERVAL}\n`);
    const start = (config: string, name: string) => startPlatformProcess(['--config', config, '--data', join(tmp.dir, name)]);
    [right, later] = await Promise.all([start(join(EXAMPLES, 'sightline.yaml'), 'right-away'), start(join(laterExamples, 'sightline.yaml'), 'later')]);
  });
  after(async () => {
    await Promise.all([right, later].map((p) => p && p.child.exitCode === null && p.stop()));
    await tmp.cleanup();
  });

  it('gives the documented outputs run right after start and run after the probe has run', { timeout: 180_000 }, async () => {
    const first = await runTour(right.url, tmp.dir);
    // The canary has been through the later platform (and keeps going through it during the tour).
    const probeRuns = async () => metricValue(parseExposition(await (await fetch(`${later.url}/metrics`)).text()), 'sightline_probe_runs_total', { result: 'ok' });
    await eventually(async () => (await probeRuns()) >= 1, 'the probe ran before the late tour');
    const second = await runTour(later.url, tmp.dir);
    const { dlq: _secondOrder, ...secondRun } = second;
    const { dlq: _firstOrder, ...firstRun } = first;
    assert.deepEqual(secondRun, firstRun, 'the same tour, after the probe has run, prints the same');

    // What the README documents.
    assert.deepEqual(first.first, { accepted: 2, rejected: [{ index: 2, code: 'SL_EVENT_FIELD_MISSING', message: 'timestamp is required' }] });
    const send = first.send as { code: number; stdout: string; stderr: string };
    assert.equal(send.code, 1);
    assert.match(send.stdout, /^sent 253 events: 252 accepted, 1 rejected, 0 not delivered, 0 retries \(<timing>\)\n/);
    assert.match(send.stdout, /processing dead-lettered none of them\n/, 'accepted events are said to be processed, not just accepted');
    assert.match(send.stderr, /line 253: SL_EVENT_FIELD_MISSING timestamp is required/);
    assert.match(first.schemaList as string, /web\.page_view \(BACKWARD\)\n\s+v1\s+id 1\s+JSON\s+events: valid 254, invalid 1/);
    assert.equal(first.schemaCheck, 1);
    assert.equal((first.recent as unknown[]).length, 2);
    const fiveMinute = first.fiveMinute as Array<[number, string, number]>;
    assert.equal(fiveMinute.reduce((n, [, , c]) => n + c, 0), 241, '240 distinct page views of the file and pv-1, none late');
    assert.deepEqual((first.home as Array<Record<string, unknown>>)[0], { window_start: 1795683600000, window_end: 1795683660000, count: 7, final: true, page: '/home' });
    // The example's pipe: the pages the 5-minute windows count most, from the 1-minute windows.
    const byPage = new Map<string, number>();
    for (const [, page, count] of fiveMinute) byPage.set(page, (byPage.get(page) ?? 0) + count);
    const top = [...byPage].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, 3);
    assert.deepEqual(first.topPages, { version: 1, rows: top, more: true });
    const dlq = first.dlq as string;
    assert.match(dlq, /process SL_QUALITY_FAILED \(user-id-format\)\s+web\.page_view\s+pv-bob\n\s+user-id-format \(error\): payload\.user_id "bob" does not match \^u\[0-9\]\+\$/);
    assert.match(dlq, /process SL_EVENT_LATE\s+web\.page_view\s+pv-late\n\s+event time 2026-11-26T08:00:00\.000Z is before 2026-11-26T09:08:52\.500Z: its windows are final \(stream web\/page_view: watermark minus 60000 ms allowed lateness\)/);
    assert.match(dlq, /ingest\s+SL_CONTRACT_UNKNOWN\s+web\.click\s+ck-1/);
    assert.equal(first.register, 0);
    assert.match(first.replay as string, /^replayed 1, duplicates 0 \(stored already\), failed again 0, skipped 0 \(replayed before\), not found 0$/);
    assert.equal((first.lookup as unknown[])[0], 'pv-0239');
  });

  it('shows the tour on /ui in a real browser: history on first load, event time per stream, the lineage graph', { skip: chromiumSkipReason(), timeout: 60_000 }, async () => {
    // What the server kept before the page opens (a sample at start, then one every 10 s): the
    // page must begin with it, which no number of its own polls could give it.
    const kept = ((await getJson(`${later.url}/v1/dashboard/history`)).body.samples as Array<{ time: number }>).map((s) => s.time);
    assert.ok(kept.length >= 1, 'the server keeps history from its start');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      await page.goto(`${later.url}/ui`);
      await page.waitForFunction(() => ((globalThis as any).document.querySelector('#streams tbody')?.textContent ?? '').includes('web/page_view'), undefined, { timeout: 15_000 });
      await page.waitForSelector('#lineage svg');
      const points = await page.evaluate(() => ((globalThis as any).__sightline.history as Array<{ time: number }>).map((s) => s.time));
      assert.deepEqual(points.slice(0, kept.length), kept, `the page opened on the server's history (${kept.length} samples), then polled`);
      assert.ok(points.length > kept.length, `the page polled after loading the history: ${points.length} points`);
      const streams = await page.locator('#streams tbody').textContent();
      assert.match(streams ?? '', /web\/page_view2026-11-26 09:09:55Z/, "the tour's stream at its own watermark (pv-bob moved it), not the probe's");
      const legend = await page.locator('[data-chart="throughput"] .u-legend .u-value').allTextContents();
      assert.ok(legend.some((v) => /^\d/.test(v)), `the legend shows the latest values without hovering: ${legend.join(' | ')}`);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'ui-after-tour.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
