import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ColdStore } from '../src/core/ports/cold-store.js';
import { dayOf } from '../src/lakehouse/iceberg/bounds.js';
import { LocalColdStore } from '../src/store/cold/local/local-cold-store.js';
import { S3ColdStore } from '../src/store/cold/s3/s3-cold-store.js';
import { Archiver } from '../src/store/hot/archiver.js';
import { DuckDbHotStore } from '../src/store/hot/duckdb-hot-store.js';
import type { LifecycleOptions } from '../src/store/store-options.js';
import { planScan } from '../src/lakehouse/table-scan.js';
import { s3SkipReason, startVersityGw } from '../test/helpers/s3.js';
import type { BenchContext } from './lib/context.js';
import { round, summarize } from './lib/stats.js';

const DAY = 86_400_000;
const DAYS = 30;
const EXPORTS = 10;
const NO_LIFECYCLE: LifecycleOptions = { intervalMs: 3_600_000, snapshotRetentionMs: 7 * DAY, tier: { prefix: 'tier/' }, tables: {} };

/**
 * The lakehouse: export throughput into the Iceberg tables (local disk, and an S3 object store
 * over TLS: Versity Gateway on loopback) and query latency over the events table, one day out of
 * 30 pruned through the table's manifests, next to the same query on the Parquet folders pruned by
 * their `dt=` names. Runs the store components in this process on synthetic rows (the hot store
 * filled with SQL), so it measures the archiver and the table, not ingest or processing.
 */
export async function lakehouseBench(ctx: BenchContext): Promise<void> {
  const events = ctx.short ? 30_000 : 10_000_000;
  const local = await exportInto(ctx, 'local disk', events, async (dir) => LocalColdStore.open(join(dir, 'cold')));
  await queryLatency(ctx, events, local);
  const skip = s3SkipReason();
  if (skip) {
    ctx.log(`lakehouse: S3 export skipped: ${skip}`);
    return;
  }
  const s3Dir = join(ctx.workDir, `s3-${Date.now()}`);
  await mkdir(s3Dir, { recursive: true });
  const server = await startVersityGw(s3Dir);
  try {
    await server.createBucket('bench');
    // 1M in the full run: a loopback object store on the same two cores.
    const s3 = await exportInto(ctx, 'S3 (Versity Gateway, TLS, loopback)', ctx.short ? 30_000 : 1_000_000, async (dir) =>
      S3ColdStore.open({ objectStore: { bucket: 'bench', prefix: `run-${Date.now()}/`, endpoint: server.endpoint, caPath: server.caPath!, ...server.root }, stagingDir: join(dir, 'staging') }),
    );
    await s3.archiver.stop({ drain: false });
    await s3.hot.close();
    s3.cold.close();
  } finally {
    await server.stop();
  }
}

interface Exported {
  hot: DuckDbHotStore;
  archiver: Archiver;
  cold: ColdStore;
  dir: string;
}

/** Fills a hot store with `events` rows over 30 days (commit numbers 1 to 10), and times one export of them all: a file per day, one snapshot. */
async function exportInto(ctx: BenchContext, where: string, events: number, openCold: (dir: string) => Promise<ColdStore>): Promise<Exported> {
  const dir = join(ctx.workDir, `lakehouse-${Date.now()}`);
  await mkdir(join(dir, 'hot'), { recursive: true });
  const hot = await DuckDbHotStore.open(join(dir, 'hot', 'sightline.duckdb'), { memoryLimit: '2GiB' });
  const conn = await hot.connect();
  const start = Math.floor(Date.now() / DAY) * DAY - DAYS * DAY;
  await conn.run(`
    INSERT INTO events
    SELECT i AS log_pos, 'e' || i AS id, 'web' AS source, 'page_view' AS type,
           ${start} + (i * ${(DAYS * DAY) / events})::BIGINT AS timestamp,
           'u' || (i % 5000) AS user_id,
           ('{"page":"/product/' || (i % 2000) || '","referrer":"https://example.com/' || (i % 37) || '"}')::JSON AS payload,
           '{"country":"DE"}'::JSON AS metadata, false AS late,
           1 + (i * ${EXPORTS} // ${events}) AS commit_no
    FROM range(${events}) t(i)`);
  conn.closeSync();
  const cold = await openCold(dir);
  const archiver = new Archiver({ hot, cold, lifecycle: NO_LIFECYCLE, rollRows: Number.MAX_SAFE_INTEGER, rollIntervalMs: 3_600_000, logger: pino({ level: 'silent' }) });
  await archiver.start();
  const cpu = process.cpuUsage();
  const t = performance.now();
  await archiver.exportNow();
  const seconds = (performance.now() - t) / 1000;
  const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
  const objects = await cold.list('events/');
  const bytes = objects.filter((o) => o.key.endsWith('.parquet')).reduce((s, o) => s + o.bytes, 0);
  const snapshots = (await archiver.tables.of('events').load())!.metadata.snapshots.length;
  ctx.log(`lakehouse: exported ${events} events to ${where} in ${round(seconds, 2)} s (${Math.round(events / seconds)} rows/s, ${round(bytes / 1e6 / seconds, 1)} MB/s)`);
  await ctx.sink.record(
    'lakehouse-export',
    'Lakehouse: export throughput into the Iceberg events table',
    ['store', 'events', 'data files', 'snapshots', 'MB written', 'seconds', 'rows/s', 'MB/s', 'CPU µs/row (this process)'],
    [where, events, objects.filter((o) => o.key.endsWith('.parquet')).length, snapshots, round(bytes / 1e6, 1), round(seconds, 2), Math.round(events / seconds), round(bytes / 1e6 / seconds, 1), round((cpuSeconds * 1e6) / events, 2)],
    { where, events, seconds, bytes, snapshots, cpuSeconds },
  );
  return { hot, archiver, cold, dir };
}

/**
 * One day's rows by type, repeated: through the table (the snapshot's manifests pick the day's files,
 * DuckDB reads them) and straight from the folders (DuckDB's hive partitioning prunes by `dt=`).
 */
async function queryLatency(ctx: BenchContext, events: number, e: Exported): Promise<void> {
  const runs = ctx.short ? 5 : 20;
  const table = e.archiver.tables.of('events');
  const conn = await e.hot.connect();
  const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  const date = new Date(day).toISOString().slice(0, 10);
  const root = join(e.dir, 'cold', 'events');
  const queries: Record<string, () => Promise<number>> = {
    'table: plan by manifests, then read the day': async () => {
      const { files } = await planScan(table, await table.load(), { from: day, to: day + DAY });
      const list = files.map((f) => `'${f.path}'`).join(', ');
      const r = await conn.runAndReadAll(`SELECT type, count(*) FROM read_parquet([${list}]) WHERE timestamp >= ${day} AND timestamp < ${day + DAY} GROUP BY type`);
      return Number(r.getRows()[0]![1]);
    },
    'folders: read_parquet with hive pruning on dt': async () => {
      const r = await conn.runAndReadAll(`SELECT type, count(*) FROM read_parquet('${root}/dt=*/*.parquet', hive_partitioning = true) WHERE dt = '${date}' GROUP BY type`);
      return Number(r.getRows()[0]![1]);
    },
    'folders: no pruning (every file)': async () => {
      const r = await conn.runAndReadAll(`SELECT type, count(*) FROM read_parquet('${root}/dt=*/*.parquet', hive_partitioning = false) WHERE timestamp >= ${day} AND timestamp < ${day + DAY} GROUP BY type`);
      return Number(r.getRows()[0]![1]);
    },
  };
  let expected: number | undefined;
  for (const [name, query] of Object.entries(queries)) {
    await query();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const rows = await query();
      times.push(performance.now() - t);
      expected ??= rows;
      if (rows !== expected) throw new Error(`${name} counted ${rows} rows where the first query counted ${expected}`);
    }
    const s = summarize(times);
    ctx.log(`lakehouse: ${name}: p50 ${round(s.p50, 1)} ms, p99 ${round(s.p99, 1)} ms (${expected} rows of ${events})`);
    await ctx.sink.record(
      'lakehouse-query',
      'Lakehouse: one day out of 30 (count by type), local disk, warm',
      ['events in table', 'rows that day', 'query', 'p50 ms', 'p99 ms'],
      [events, expected!, name, round(s.p50, 1), round(s.p99, 1)],
      { events, day: dayOf(day), name, latency: s },
    );
  }
  conn.closeSync();
  await e.archiver.stop({ drain: false });
  await e.hot.close();
}
