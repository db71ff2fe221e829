import assert from 'node:assert/strict';
import { readdir, readFile, utimes, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { duckdbExtensionDir } from '../../src/platform/key-file.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type IcebergTableReport, latestMetadata, pyicebergSkipReason, readCatalog, readStaticTable } from '../helpers/iceberg.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/platform-process.js';
import { eventually } from '../helpers/wait.js';

const DAY1 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY2 = Date.UTC(2026, 10, 21, 10, 0, 0);
const USERS = ['u1', 'u2', 'u3'];

/**
 * Rows DuckDB's own Iceberg reader (the iceberg extension, loaded offline) counts: in a table at a
 * location, or with `catalog`, in `sightline.<name>` of the REST catalog attached with a key.
 */
async function duckdbCount(location: string, catalog?: { uri: string; token: string }): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', { extension_directory: duckdbExtensionDir(), autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await instance.connect();
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  try {
    await conn.run('LOAD iceberg');
    if (catalog) {
      await conn.run(`CREATE SECRET sightline_key (TYPE iceberg, TOKEN ${q(catalog.token)})`);
      await conn.run(`ATTACH 'sightline' AS lake (TYPE iceberg, ENDPOINT ${q(catalog.uri)}, SECRET sightline_key)`);
      return Number((await conn.runAndReadAll(`SELECT count(*) FROM lake.sightline."${location}"`)).getRows()[0]![0]);
    }
    return Number((await conn.runAndReadAll(`SELECT count(*) FROM iceberg_scan(${q(location)})`)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The final windows the API serves, counted: what the aggregation's table must hold. */
async function finalWindows(url: string): Promise<number> {
  let n = 0;
  for (const window of ['1m', '5m']) {
    for (const page of ['/a', '/b']) n += ((await getJson(`${url}/v1/aggregates/page-views?window=${window}&page=${page}&limit=10000`)).body.windows as Array<{ final: boolean }>).filter((w) => w.final).length;
  }
  return n;
}

describe('the cold tier as Iceberg tables', { skip: pyicebergSkipReason() || pyarrowSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform | undefined;
  let admin: string;
  let cold: string;
  const events: Array<Record<string, unknown>> = [];

  const start = async (): Promise<RunningPlatform> =>
    startPlatform(
      buildConfig({
        dataDir: join(tmp.dir, 'data'),
        server: { port: 0 },
        cold: { rollRows: 30, rollInterval: '1s' },
        contracts: { unknown: 'accept' },
        probe: { interval: '0s' },
        // A short idle timeout: the last windows close soon after the last event.
        process: { idleTimeout: '2s' },
      }),
      pino({ level: 'silent' }),
    );

  before(async () => {
    tmp = await tempDir();
    cold = join(tmp.dir, 'data', 'cold');
    platform = await start();
    // Open on loopback: requests without a key act as the local admin, and a key given is checked.
    admin = platform.firstAdminToken!;
    const headers = {};
    for (let i = 0; i < 30; i++) for (const [u, user] of USERS.entries()) events.push(pageView(`${user}-${i}`, (i < 15 ? DAY1 : DAY2) + i * 60_000 + u * 1000, i % 2 ? '/a' : '/b', user));
    // In batches a second apart, so the table gets several snapshots; the last batch again (duplicates).
    for (let i = 0; i < events.length; i += 30) {
      assert.equal((await postEvents(platform.url, events.slice(i, i + 30), headers)).body.accepted, 30);
      await new Promise((r) => setTimeout(r, 1200));
    }
    await postEvents(platform.url, events.slice(60, 90), headers);
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await readStaticTable(await latestMetadata(join(cold, 'events')))).rows === 90, 'every event in the events table', 90_000);
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  let eventsTable: IcebergTableReport;
  it('holds each distinct event once, in snapshots a reader can travel back to, pruned by day', { timeout: 60_000 }, async () => {
    eventsTable = await readStaticTable(await latestMetadata(join(cold, 'events')), { day: '2026-11-21' });
    assert.equal(eventsTable.rows, 90);
    assert.equal(eventsTable.distinct_keys, 90);
    assert.ok(eventsTable.snapshots >= 2, `snapshots: ${eventsTable.snapshots}`);
    assert.ok(eventsTable.first_snapshot_rows! < 90, `the first snapshot holds ${eventsTable.first_snapshot_rows}`);
    assert.equal(eventsTable.day_rows, 45);
    const day2Files = (await readdir(join(cold, 'events', 'dt=2026-11-21'))).length;
    assert.equal(eventsTable.day_files, day2Files, 'a filter on one day plans only that day\'s files');
    assert.deepEqual(eventsTable.columns, ['id', 'source', 'type', 'timestamp', 'event_time', 'user_id', 'payload', 'metadata', 'late', 'log_pos']);
    // A static reader also opens the table by its folder, through version-hint.text.
    assert.equal(await duckdbCount(join(cold, 'events')), 90);
    assert.equal(await duckdbCount(await latestMetadata(join(cold, 'events'))), 90);
  });

  it('holds each closed window of an aggregation once', { timeout: 120_000 }, async () => {
    const expected = await finalWindows(platform!.url);
    assert.ok(expected > 0);
    await eventually(async () => (await readStaticTable(await latestMetadata(join(cold, 'aggregates', 'page-views')))).rows === expected, 'every final window in the table', 90_000);
    const windows = await readStaticTable(await latestMetadata(join(cold, 'aggregates', 'page-views')));
    assert.equal(windows.distinct_keys, windows.rows);
    assert.equal(await duckdbCount(await latestMetadata(join(cold, 'aggregates', 'page-views'))), expected);
  });

  it('serves the tables through the Iceberg REST catalog, each key seeing what it may read', { timeout: 60_000 }, async () => {
    const uri = `${platform!.url}/iceberg`;
    const all = await readCatalog(uri, admin);
    assert.deepEqual(all.namespaces, [['sightline']]);
    assert.deepEqual(Object.keys(all.tables).sort(), ['events', 'page_views']);
    assert.equal(all.tables.events!.rows, 90);
    const created = await fetch(`${platform!.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'events-reader', grants: [{ scope: 'query:read', resources: ['events'] }] }),
    });
    const { token } = (await created.json()) as { token: string };
    assert.deepEqual(Object.keys((await readCatalog(uri, token)).tables), ['events']);
    assert.equal(await duckdbCount('events', { uri, token }), 90, 'DuckDB attaches the catalog with the key');
    const refused = await fetch(`${uri}/v1/namespaces/sightline/tables/page_views`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { error: { type: string } }).error.type, 'NoSuchTableException');
    const forged = await fetch(`${uri}/v1/config`, { headers: { authorization: 'Bearer slk_0000000000000000_nope' } });
    assert.equal(forged.status, 401);
    assert.deepEqual(((await forged.json()) as { error: { type: string; code: number } }).error.code, 401);
  });

  it('shows the tables, their snapshots and their rows as of a snapshot (time travel) through the API and the CLI', { timeout: 60_000 }, async () => {
    const url = platform!.url;
    const { tables } = (await getJson(`${url}/v1/tables`)).body as { tables: Array<{ name: string; records: number; snapshots: number; metadata_location: string }> };
    assert.deepEqual(tables.map((t) => t.name), ['events', 'page_views']);
    assert.equal(tables[0]!.records, 90);
    const { snapshots } = (await getJson(`${url}/v1/tables/events/snapshots`)).body as { snapshots: Array<{ snapshot_id: number; timestamp: string; summary: Record<string, string> }> };
    assert.equal(snapshots.length, tables[0]!.snapshots);
    const first = snapshots[0]!;
    const asOfFirst = (await getJson(`${url}/v1/tables/events/rows?snapshot_id=${first.snapshot_id}&limit=1000`)).body;
    assert.equal(asOfFirst.snapshot_id, first.snapshot_id);
    assert.equal(asOfFirst.rows.length, Number(first.summary['total-records']));
    assert.equal(asOfFirst.rows.length, eventsTable.first_snapshot_rows, 'Sightline and pyiceberg read the first snapshot alike');
    const byTime = (await getJson(`${url}/v1/tables/events/rows?as_of=${encodeURIComponent(first.timestamp)}&limit=1000`)).body;
    assert.equal(byTime.snapshot_id, first.snapshot_id);
    assert.deepEqual((await getJson(`${url}/v1/tables/events/rows?as_of=2020-01-01`)).body, { snapshot_id: null, rows: [] });
    const day2 = (await getJson(`${url}/v1/tables/events/rows?from=2026-11-21&to=2026-11-22&limit=1000`)).body.rows as Array<{ event_time: string }>;
    assert.equal(day2.length, 45);
    assert.ok(day2.every((r) => r.event_time.startsWith('2026-11-21')));
    assert.equal((await getJson(`${url}/v1/tables/events/rows?snapshot_id=1`)).status, 404);
    assert.equal((await getJson(`${url}/v1/tables/nope/snapshots`)).status, 404);
    const cli = await runCli(['tables', 'events', '--snapshot-id', String(first.snapshot_id), '--limit', '3', '--url', url]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trim().split('\n').length, 3);
    assert.match(cli.stderr, new RegExp(`3 rows of snapshot ${first.snapshot_id}`));
  });

  it('an erasure rewrites the files in a new snapshot and expires the history that held the rows', { timeout: 90_000 }, async () => {
    const requested = await fetch(`${platform!.url}/v1/erasures`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'u1' }) });
    const { id } = (await requested.json()) as { id: string };
    await eventually(async () => (await getJson(`${platform!.url}/v1/erasures/${id}`)).body.state === 'done', 'the erasure applied', 60_000);
    const after = await readStaticTable(await latestMetadata(join(cold, 'events')));
    assert.equal(after.rows, 60);
    assert.equal(after.user_ids!.u1, undefined);
    assert.equal(after.snapshots, 1, 'no snapshot from before the erasure is left to travel back to');
    // No file in the folder holds the user's rows any more, table or not.
    assert.equal(readColdStoreWithPyarrow(cold).events.user_ids.u1, undefined);
    const metadata = JSON.parse(await readFile(await latestMetadata(join(cold, 'events')), 'utf8')) as { snapshots: Array<{ summary: Record<string, string> }> };
    assert.equal(metadata.snapshots[0]!.summary.operation, 'overwrite');
  });

  it('removes at the next start the files a crash left unnamed, never a table file or a young one', { timeout: 60_000 }, async () => {
    await platform!.stop();
    platform = undefined;
    const dir = join(cold, 'events', 'dt=2026-11-22');
    await mkdir(dir, { recursive: true });
    const old = join(dir, 'part-c000000009990-c000000009999.parquet');
    const young = join(dir, 'part-c000000010000-c000000010001.parquet');
    await writeFile(old, 'PAR1 left by a crash');
    await writeFile(young, 'PAR1 a commit in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    platform = await start();
    // Right after the restart, before any export, the graph shows where the data lands and how much.
    const graph = (await getJson(`${platform.url}/v1/lineage`)).body as { datasets: Array<{ name: string; records?: number | null }> };
    const eventsOut = graph.datasets.find((d) => d.name === `${cold}/events`);
    assert.equal(eventsOut?.records, 60, JSON.stringify(graph.datasets.map((d) => [d.name, d.records])));
    const left = await readdir(dir);
    assert.deepEqual(left, ['part-c000000010000-c000000010001.parquet']);
    assert.equal((await readStaticTable(await latestMetadata(join(cold, "events")))).rows, 60);
  });
});
