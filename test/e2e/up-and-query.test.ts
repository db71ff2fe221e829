import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { queryDuckDb } from '../helpers/duckdb.js';
import { getJson, pageView, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 25, 23, 58, 0);
const MIN = 60_000;

/**
 * The README's tour as a user runs it: `sightline up` as its own process, `sightline send` with an
 * NDJSON file holding repeats, late and invalid events, the query API, `sightline status`, a
 * clean SIGTERM; then the DuckDB file, DuckDB over Parquet, and pyarrow must agree on exact counts.
 */
const PAGE_VIEW_CONTRACT = fileURLToPath(new URL('../../../examples/contracts/web.page_view.json', import.meta.url));

describe('sightline up, end to end', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  const distinct = new Set<string>();
  let lateIds: string[] = [];

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan,country\nu1,pro,DE\nu2,free,FR\n');
    await writeFile(
      join(tmp.dir, 'sightline.yaml'),
      // Late events kept in the events table (process.lateEvents: store), so they reach Parquet too;
      // the default, to the dead-letter queue, has its own tests.
      'probe:\n  interval: 0\nenrichment:\n  referenceData:\n    path: users.csv\nprocess:\n  allowedLateness: 3m\n  watermarkDelay: 5s\n  lateEvents: store\n' +
        `contracts:\n  register:\n    - subject: web.page_view\n      path: ${PAGE_VIEW_CONTRACT}\n`,
    );
    // `send` keeps two batches of 45 s of event time in flight, so they may arrive in either order:
    // the allowed lateness covers that; the deliberately late events are 10 minutes old.
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.yaml')]);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.kill9();
    await tmp.cleanup();
  });

  it('sends a file with repeats, late and invalid events; send reports the rejects and exits 1', async () => {
    const lines: string[] = [];
    // 5 minutes across midnight, 2000 events, a page per event mod 7, users u1..u3.
    for (let i = 0; i < 2000; i++) {
      const e = pageView(`e${i}`, T0 + i * 150, `/p/${i % 7}`, `u${(i % 3) + 1}`);
      lines.push(JSON.stringify(e));
      distinct.add(`e${i}`);
      if (i % 10 === 0) lines.push(JSON.stringify(e));
    }
    lateIds = ['late-1', 'late-2'];
    for (const id of lateIds) {
      lines.push(JSON.stringify(pageView(id, T0 - 10 * MIN, '/p/0')));
      distinct.add(id);
    }
    lines.push('{"id":"no-timestamp","source":"web","type":"page_view","payload":{}}');
    lines.push('this is not json');
    lines.push(JSON.stringify({ ...pageView('no-page', T0, '/p/1'), payload: { user_id: 'u1' } }));
    lines.push(JSON.stringify({ ...pageView('a-click', T0, '/p/1'), type: 'click' }));
    const file = join(tmp.dir, 'events.ndjson');
    await writeFile(file, lines.join('\n') + '\n');
    const r = await runCli(['send', file, '--url', platform.url, '--batch-size', '300', '--gzip']);
    assert.equal(r.code, 1, `send should fail when events are rejected:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`sent ${lines.length} events: ${lines.length - 4} accepted, 4 rejected, 0 not delivered`));
    assert.match(r.stderr, /SL_EVENT_FIELD_MISSING/);
    assert.match(r.stderr, /SL_EVENT_UNPARSEABLE/);
    assert.match(r.stderr, /SL_CONTRACT_VIOLATION payload must have required property 'page' \(subject "web.page_view" version 1, schema id 1\)/);
    assert.match(r.stderr, /SL_CONTRACT_UNKNOWN no schema is registered for subject "web.click"/);
    await waitForBacklogZero(platform.url);
  });

  it('serves the events, enriched, and page-view windows that add up to the distinct on-time events', async () => {
    const recent = (await getJson(`${platform.url}/v1/events/recent?limit=5&user_id=u2`)).body;
    assert.equal(recent.events.length, 5);
    assert.ok(recent.events.every((e: any) => e.payload.user_id === 'u2' && e.metadata.enrichment.plan === 'free'));
    let paged = 0;
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const url: string = `${platform.url}/v1/events/recent?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
      const page: any = (await getJson(url)).body;
      for (const e of page.events) seen.add(e.id);
      paged += page.events.length;
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(paged, distinct.size, 'paging visits every stored event once');
    assert.equal(seen.size, distinct.size);

    for (const window of ['1m', '5m']) {
      const windows = (await getJson(`${platform.url}/v1/aggregates/page-views?window=${window}`)).body.windows;
      const total = windows.reduce((s: number, w: any) => s + w.count, 0);
      assert.equal(total, distinct.size - lateIds.length, `${window} counts = distinct on-time events`);
    }
    const status = await runCli(['status', '--url', platform.url]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /log topic "events"/);
    assert.match(status.stdout, /backlog/);
    assert.match(status.stdout, new RegExp(`events\\s+${distinct.size}`));
    assert.match(status.stdout, /late_events\s+2/);
  });

  it('refuses a second platform on the same data folder, and the first keeps serving', async () => {
    const second = await runCli(['up', '--port', '0', '--data', join(tmp.dir, 'data')]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /error SL_DATA_DIR_IN_USE: the data folder is in use by another process/);
    assert.equal((await getJson(`${platform.url}/readyz`)).status, 200);
  });

  it('stops cleanly on SIGTERM with every raw event in Parquet, readable by DuckDB and pyarrow', async (t) => {
    assert.equal(await platform.stop(), 0);
    const data = join(tmp.dir, 'data');
    const [hot] = await queryDuckDb(join(data, 'hot', 'sightline.duckdb'), 'SELECT count(*) AS n, count(DISTINCT id) AS d, sum(CASE WHEN late THEN 1 ELSE 0 END) AS late FROM events');
    assert.deepEqual(hot, { n: distinct.size, d: distinct.size, late: lateIds.length });
    const [agg] = await queryDuckDb(join(data, 'hot', 'sightline.duckdb'), "SELECT sum(count) AS n FROM aggregates WHERE window_size = '1m'");
    assert.equal(agg!.n, distinct.size - lateIds.length);

    const days = await queryDuckDb(
      ':memory:',
      `SELECT dt, count(*) AS n FROM read_parquet('${data}/cold/events/dt=*/*.parquet', hive_partitioning = true) GROUP BY dt ORDER BY dt`,
    );
    assert.deepEqual(days.map((d) => String(d.dt)), ['2026-11-25', '2026-11-26'], 'hive-partitioned by event day (UTC)');
    assert.equal(days.reduce((s, d) => s + Number(d.n), 0), distinct.size);

    const [finals] = await queryDuckDb(join(data, 'hot', 'sightline.duckdb'), 'SELECT sum(count) AS n, count(*) AS windows FROM aggregates WHERE final');
    assert.ok(Number(finals!.windows) > 0, 'some windows closed');
    const [archived] = await queryDuckDb(':memory:', `SELECT sum(count) AS n, count(*) AS windows FROM read_parquet('${data}/cold/aggregates/page-views/dt=*/*.parquet')`);
    assert.deepEqual(archived, finals, 'every final window, and only those, archived under aggregates/page-views/dt=.../');

    const skip = pyarrowSkipReason();
    if (skip) return t.skip(skip);
    const arrow = readColdStoreWithPyarrow(join(data, 'cold'));
    assert.equal(arrow.events.rows, distinct.size);
    assert.equal(arrow.events.distinct_ids, distinct.size);
    assert.deepEqual(arrow.events.days, ['2026-11-25', '2026-11-26']);
    assert.equal(arrow['aggregates/page-views'].count_sum, finals!.n);
    for (const column of ['id', 'source', 'type', 'timestamp', 'event_time', 'payload', 'metadata', 'late']) assert.ok(arrow.events.columns.includes(column), column);
  });
});
