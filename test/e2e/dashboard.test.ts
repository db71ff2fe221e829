import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkipReason } from '../helpers/chromium.js';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const skip = chromiumSkipReason();

/** The live dashboard at /ui in a real headless Chromium (Debian's), driven by playwright-core. */
describe('dashboard /ui in Chromium', { skip }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  let browser: Browser;

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: '1s' }, logLevel: 'warn' }));
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    if (platform?.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  it('loads without console errors, draws live charts once events flow, and looks up an event with its path and trace id', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${platform.url}/ui`);
    assert.equal(await page.title(), 'Sightline — live');
    assert.equal(await page.locator('#key-form').isHidden(), true, 'no key asked for on a loopback API that requires none');

    // Traffic while the page watches: page views and clicks, a rejected event, a late one.
    const now = Date.now();
    for (let round = 0; round < 6; round++) {
      const batch = Array.from({ length: 40 }, (_, i) => pageView(`ui-${round}-${i}`, now - 30_000 + round * 1000 + i, `/p${i % 5}`));
      batch.push({ ...pageView(`click-${round}`, now, '/'), type: 'click' }, { id: `bad-${round}`, source: 'web' }, pageView(`late-${round}`, now - 3_600_000, '/old'));
      await postEvents(platform.url, batch, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      await new Promise((r) => setTimeout(r, 700));
    }
    await waitForBacklogZero(platform.url);

    await page.waitForFunction(
      () => {
        const s = (globalThis as any).__sightline;
        if (!s || s.history.length < 3) return false;
        const rows = s.history[s.history.length - 1].stores.hot_rows;
        // 240 page views and 6 clicks; the probe's events are deleted once read back.
        return rows >= 246 && s.charts.throughput.u.data[1].some((v: number) => v > 0);
      },
      undefined,
      { timeout: 30_000 },
    );
    const charts = await page.evaluate(() => {
      const s = (globalThis as any).__sightline;
      return Object.fromEntries(Object.entries(s.charts).map(([name, c]: [string, any]) => [name, { series: c.seriesNames, points: c.u.data[0].length, max: Math.max(...c.u.data.slice(1).flat().filter((v: any) => typeof v === 'number')) }]));
    });
    assert.deepEqual(Object.keys(charts).sort(), ['backlog', 'errors', 'freshness', 'quality', 'stores', 'throughput']);
    assert.deepEqual(charts.throughput!.series, ['sightline/probe', 'web/click', 'web/page_view'], 'the probe is a source too');
    assert.ok(charts.throughput!.max > 0, 'throughput was drawn');
    assert.ok(charts.errors!.series.includes('SL_EVENT_FIELD_MISSING'));
    assert.ok(charts.errors!.max > 0, 'rejections were drawn');
    assert.ok(charts.quality!.max > 0, 'late events were drawn');
    assert.ok(charts.stores!.max >= 246, 'store growth was drawn');
    assert.ok(charts.freshness!.max > 0, 'the probe freshness was drawn');
    assert.equal(await page.locator('canvas').count(), 6, 'six uPlot canvases');
    assert.notEqual(await page.locator('#tile-rows').textContent(), '–');
    // The aggregates panel reads through the cache: the tile is its hit ratio since start, as /v1/dashboard has it.
    await page.waitForFunction(() => /%$/.test((globalThis as any).document.getElementById('tile-cache').textContent), undefined, { timeout: 15_000 });
    const { tile, hits, misses } = await page.evaluate(() => {
      const s = (globalThis as any).__sightline;
      const { cache_hits, cache_misses } = s.history[s.history.length - 1].serving;
      return { tile: (globalThis as any).document.getElementById('tile-cache').textContent as string, hits: cache_hits as number, misses: cache_misses as number };
    });
    assert.ok(misses > 0, 'the aggregates panel looked up the cache');
    assert.equal(tile, `${Math.round((1000 * hits) / (hits + misses)) / 10} %`, `${hits} hits and ${misses} misses`);

    // The panels: dead letters (the refused and the late events), alerts, quality, the lineage graph.
    await page.waitForFunction(() => ((globalThis as any).document.querySelector('#dlq tbody')?.textContent ?? '').includes('SL_EVENT_LATE'), undefined, { timeout: 15_000 });
    const dlqText = (await page.locator('#dlq tbody').textContent()) ?? '';
    assert.match(dlqText, /SL_EVENT_FIELD_MISSING/);
    assert.match(dlqText, /web\.page_view late-\d/);
    assert.ok((await page.locator('#alerts tbody tr').count()) >= 1);
    // Event time per stream: each stream's watermark and where lateness begins for it.
    await page.waitForFunction(() => ((globalThis as any).document.querySelector('#streams tbody')?.textContent ?? '').includes('web/page_view'), undefined, { timeout: 15_000 });
    const streamRows = await page.locator('#streams tbody tr').allTextContents();
    assert.deepEqual(streamRows.map((r) => r.split(/\d{4}-/)[0]), ['sightline/probe', 'web/click', 'web/page_view']);
    assert.match(streamRows[2]!, /^web\/page_view\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    // The newest windows of page-views, as the API serves them.
    await page.waitForFunction(() => ((globalThis as any).document.querySelector('#aggregates tbody')?.textContent ?? '').includes('page-views'), undefined, { timeout: 15_000 });
    const aggregateRows = await page.locator('#aggregates tbody tr').allTextContents();
    assert.ok(aggregateRows.length >= 5 && aggregateRows.every((r) => /^page-views1m\d{4}-\d\d-\d\d \d\d:\d\d\/p?\S*\d+(final|open)$/.test(r)), aggregateRows.join('\n'));
    // Recent events, filtered as the API filters them.
    await page.fill('#recent-form [name="type"]', 'click');
    await page.click('#recent-form button');
    await page.waitForFunction(() => {
      const rows = [...(globalThis as any).document.querySelectorAll('#recent tbody tr')].map((r: any) => r.textContent as string);
      return rows.length > 0 && rows.every((r) => r.includes('web/click'));
    }, undefined, { timeout: 10_000 });
    assert.equal(await page.locator('#recent tbody tr').count(), 6, 'the six clicks');
    // Log offsets and backlog per partition of the events topic.
    const partitionRows = await page.locator('#partitions tbody tr').allTextContents();
    assert.equal(partitionRows.filter((r) => r.startsWith('events')).length, 4, partitionRows.join('\n'));
    assert.match((await page.locator('#quality tbody').textContent()) ?? '', /no quality rules configured/);
    await page.waitForSelector('#lineage svg');
    const nodes = Number(await page.locator('#lineage svg').getAttribute('data-nodes'));
    const edges = Number(await page.locator('#lineage svg').getAttribute('data-edges'));
    assert.ok(nodes >= 8 && edges >= 7, `lineage drawn with ${nodes} nodes and ${edges} edges`);
    assert.equal(await page.locator('#lineage .node.job').count(), 4, 'ingest, process, archive and lifecycle jobs');

    await page.fill('#lookup-id', 'ui-2-7');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-path');
    assert.equal(await page.locator('[data-field="trace-id"]').textContent(), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match((await page.locator('[data-field="lineage"]').textContent()) ?? '', /^envelope → contract → dedup → late_check → aggregation$/);
    assert.match((await page.locator('[data-field="log"]').textContent()) ?? '', /^topic events, partition \d, offset \d+$/);
    assert.deepEqual(problems, [], 'no console errors');
    // An event refused in processing: the lookup finds its dead letter, with the stage and why.
    await page.fill('#lookup-id', 'late-3');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-letters');
    assert.match((await page.locator('#lookup-letters [data-field="refused"]').textContent()) ?? '', /^process · SL_EVENT_LATE · \d{4}-/);
    assert.match((await page.locator('#lookup-letters [data-field="why"]').textContent()) ?? '', /its windows are final \(stream web\/page_view/);
    problems.splice(0);
    // A lookup of an unknown id: the API's 404 (which the browser logs) shown as the error it is.
    await page.fill('#lookup-id', 'no-such-event');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-result .error');
    assert.match((await page.locator('#lookup-result .error').textContent()) ?? '', /^SL_API_NOT_FOUND/);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.fill('#lookup-id', 'ui-2-7');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-path');
    // Readable at 1280 px: no word of any table cell or lookup value is split across two lines,
    // and every date keeps its time on the same line.
    await page.fill('#recent-form [name="type"]', '');
    await page.click('#recent-form button');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#recent tbody tr').length > 6, undefined, { timeout: 10_000 });
    const layout = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const lines = (node: any, from: number, to: number): number => {
        const range = doc.createRange();
        range.setStart(node, from);
        range.setEnd(node, to);
        return new Set([...range.getClientRects()].filter((r: any) => r.width > 0).map((r: any) => Math.round(r.top))).size;
      };
      const broken: string[] = [];
      const splitDates: string[] = [];
      let words = 0;
      for (const cell of doc.querySelectorAll('.panel td, #lookup-result code')) {
        const walker = doc.createTreeWalker(cell, 4 /* NodeFilter.SHOW_TEXT */);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const m of (node.data as string).matchAll(/\S+/g)) {
            words++;
            if (lines(node, m.index!, m.index! + m[0].length) > 1) broken.push(m[0]);
          }
          for (const m of (node.data as string).matchAll(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?Z?/g)) {
            if (lines(node, m.index!, m.index! + m[0].length) > 1) splitDates.push(m[0]);
          }
        }
      }
      return { broken, splitDates, words };
    });
    assert.ok(layout.words > 200, `${layout.words} words checked`);
    assert.deepEqual(layout.broken, [], 'words broken across lines');
    assert.deepEqual(layout.splitDates, [], 'dates split from their times');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 404 (Not Found)'], 'only the deliberate 404');

    // A page opened now draws what the server kept, not only what it polls from now on.
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const openedAt = Date.now();
    await fresh.goto(`${platform.url}/ui`);
    await fresh.waitForFunction(() => ((globalThis as any).__sightline?.history.length ?? 0) >= 2, undefined, { timeout: 5_000 });
    const firstSample = await fresh.evaluate(() => (globalThis as any).__sightline.history[0].time as number);
    assert.ok(firstSample < openedAt - 5_000, `the first point (${openedAt - firstSample} ms before the page opened) is history kept on the server`);
    await fresh.close();
  });

  it('asks for a key where the API requires one, and works with it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir.dir, 'sightline.json'), JSON.stringify({ auth: { required: true }, probe: { interval: '1s' }, logLevel: 'warn' }));
    const locked = await startPlatformProcess(['--data', join(dir.dir, 'data'), '--config', join(dir.dir, 'sightline.json')]);
    try {
      const admin = /slk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.exec(locked.output())?.[0];
      assert.ok(admin, 'the first start printed an admin key');
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${locked.url}/ui`);
      await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
      assert.match((await page.locator('#key-note').textContent()) ?? '', /needs a key/);
      assert.equal(await page.evaluate(() => (globalThis as any).__sightline?.history.length ?? 0), 0, 'nothing drawn without a key');
      await page.fill('#key-input', admin);
      await page.click('#key-form button');
      await page.waitForFunction(() => ((globalThis as any).__sightline?.history.length ?? 0) >= 2, undefined, { timeout: 15_000 });
      assert.equal(await page.locator('#key-form').isHidden(), true, 'the form is gone once the key works');
      await page.waitForFunction(() => ((globalThis as any).document.querySelector('#streams tbody')?.textContent ?? '').includes('sightline/probe'), undefined, { timeout: 15_000 });
      await page.close();
    } finally {
      await locked.stop();
      await dir.cleanup();
    }
  });
});
