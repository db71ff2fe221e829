import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { isSightlineError } from '../../core/errors.js';
import type { ColdStore, LifecycleJob, LifecycleReport } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { applyColdRetention, expireOldSnapshots, type JobOutcome, tierOldFiles } from '../../lakehouse/table-lifecycle.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import { type LifecycleOptions, lifecycleOf } from '../store-options.js';
import { compactTable } from './compaction.js';
import { moveDeadLetters } from './dead-letter-move.js';
import { dropMovedDeadLetters } from './duckdb-backfill.js';
import type { DuckDbHotStore } from './duckdb-hot-store.js';

export interface LifecycleContext {
  conn: DuckDBConnection;
  hot: DuckDbHotStore;
  cold: ColdStore;
  tables: ColdTables;
  options: LifecycleOptions;
  encryption: { copy: string; read: string };
  logger: Logger;
  metrics?: ComponentMetrics;
  /** Whether events also go to the contract tables: then they leave the hot store only once those hold them too. */
  contractTables: boolean;
}

const zero = (): JobOutcome & { tables: number } => ({ files: 0, rows: 0, snapshots: 0, tables: 0 });

/**
 * One run of every lifecycle job at `now`: hot retention, then per table compaction, tiering, cold
 * retention and snapshot expiry. A job that fails on one table is reported (and its error logged
 * and counted) without stopping the others; it runs again at the next interval.
 */
export async function runLifecycleJobs(ctx: LifecycleContext, now: number): Promise<LifecycleReport> {
  const report: LifecycleReport = { at: now, jobs: {} };
  const record = async (job: LifecycleJob, work: () => Promise<JobOutcome | undefined>): Promise<void> => {
    const entry = (report.jobs[job] ??= { ...zero(), errors: [] });
    const done = ctx.metrics?.startTimer(job);
    try {
      const outcome = await work();
      if (outcome) {
        entry.files += outcome.files;
        entry.rows += outcome.rows;
        entry.snapshots += outcome.snapshots;
        entry.tables++;
      }
    } catch (err) {
      entry.errors.push((err as Error).message);
      ctx.metrics?.error(isSightlineError(err) ? err.code : 'SL_COLD_UNAVAILABLE');
      ctx.logger.error({ err, job }, 'a lifecycle job failed; it runs again at the next interval');
    } finally {
      done?.();
    }
  };
  const tables = await ctx.tables.all();
  await record('hot-retention', () => hotRetention(ctx, now, tables.map((t) => t.base)));
  // On its own: a move that keeps failing must not hold back the events' and windows' retention.
  await record('hot-retention', () => moveOldDeadLetters(ctx, now));
  for (const table of tables) {
    // Settings by the table's name: `events`, an aggregation's; a contract's table holds events, so
    // it takes the settings of `events`, and those of its own name (`events_<subject>`) over them.
    const settings = table.base.startsWith('contracts/') ? { ...lifecycleOf(ctx.options, 'events'), ...ctx.options.tables[table.spec.name] } : lifecycleOf(ctx.options, table.spec.name);
    if (settings.compactBelowBytes !== undefined && settings.compactMinFiles !== undefined) {
      const compaction = { belowBytes: settings.compactBelowBytes, minFiles: settings.compactMinFiles, skipPrefix: ctx.options.tier.prefix };
      await record('compaction', () => compactTable(ctx.conn, ctx.cold, table, compaction, ctx.encryption));
    }
    if (settings.tierAfterMs !== undefined) await record('tiering', () => tierOldFiles(table, ctx.cold, now, settings.tierAfterMs!, ctx.options.tier));
    if (settings.coldRetentionMs !== undefined) await record('cold-retention', () => applyColdRetention(table, now, settings.coldRetentionMs!));
    await record('snapshot-expiry', () => expireOldSnapshots(table, now, ctx.options.snapshotRetentionMs));
  }
  for (const [job, entry] of Object.entries(report.jobs)) {
    if (entry.files + entry.rows + entry.snapshots > 0) ctx.logger.info({ job, ...entry }, `lifecycle: ${job}`);
  }
  return report;
}

/** Rows past their table's hot retention leave DuckDB, only those the tables already hold. */
async function hotRetention(ctx: LifecycleContext, now: number, bases: string[]): Promise<JobOutcome | undefined> {
  const exported = async (dataset: string): Promise<number> =>
    Number((await ctx.conn.runAndReadAll('SELECT coalesce(max(to_no), 0) FROM sl_cold_exports WHERE dataset = $1 AND done', [dataset])).getRows()[0]![0]);
  const events = lifecycleOf(ctx.options, 'events').hotRetentionMs;
  const windows = [];
  const throughFinal = await exported('aggregates');
  for (const base of bases.filter((b) => b.startsWith('aggregates/'))) {
    const name = base.slice('aggregates/'.length);
    const ms = lifecycleOf(ctx.options, name).hotRetentionMs;
    if (ms !== undefined) windows.push({ name, before: now - ms, throughFinal });
  }
  if (events === undefined && windows.length === 0) return undefined;
  const throughCommit = ctx.contractTables ? Math.min(await exported('events'), await exported('contracts')) : await exported('events');
  const dropped = await ctx.hot.dropArchived({ ...(events !== undefined && { events: { before: now - events, throughCommit } }), windows });
  return { files: 0, rows: dropped.events + dropped.windows, snapshots: 0 };
}

/** Dead letters past their hot retention go to the `dead_letters` table, and only then leave DuckDB. */
async function moveOldDeadLetters(ctx: LifecycleContext, now: number): Promise<JobOutcome | undefined> {
  const retention = lifecycleOf(ctx.options, 'dead_letters').hotRetentionMs;
  if (retention === undefined) return undefined;
  return moveDeadLetters({ ...ctx, table: ctx.tables.of('dead_letters'), dropMoved: () => ctx.hot.applyStaged(dropMovedDeadLetters) }, now - retention);
}
