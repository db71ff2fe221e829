import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillRunner, WindowRange } from '../core/backfill.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import { SightlineError } from '../core/errors.js';
import { NOT_PROBE_SQL } from '../core/probe-event.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { PipelineSpec } from '../process/batch-plan.js';
import { countStored, reprocess } from '../process/reprocess.js';
import { tumblingStart } from '../process/stages/windows.js';
import type { Archiver } from '../store/hot/archiver.js';
import { backfillDay } from '../store/hot/backfill-day.js';
import { recountWindows } from '../store/hot/backfill-windows.js';
import { applyBackfilledRows, replaceBackfilledWindows } from '../store/hot/duckdb-backfill.js';

export interface ColdBackfillOptions {
  target: ReturnType<Archiver['backfillTarget']>;
  spec: PipelineSpec;
  /** The reference data loaded now (it reloads when its file changes). */
  reference: () => ReferenceData | undefined;
  deadLetters: DeadLetterWriter;
  clock?: () => number;
}

/**
 * Backfills from the cold tier of this node: the `events` table re-read day by day through
 * processing's checks as configured now, and the windows counted again, each step in the
 * archiver's turn (never while an export, erasure or lifecycle job rewrites files).
 */
export class ColdBackfill implements BackfillRunner {
  constructor(private readonly options: ColdBackfillOptions) {}

  /** The event times whose windows a backfill of [fromMs, toMs) counts again: the range widened to whole windows. */
  private widened(fromMs: number, toMs: number): { from: number; to: number } {
    let [from, to] = [fromMs, toMs];
    for (const a of this.options.spec.aggregations) {
      for (const w of a.windows) {
        from = Math.min(from, tumblingStart(fromMs, w.ms));
        to = Math.max(to, tumblingStart(toMs - 1, w.ms) + w.ms);
      }
    }
    return { from, to };
  }

  /** Every window that overlaps [fromMs, toMs), per aggregation and size. */
  private ranges(fromMs: number, toMs: number): WindowRange[] {
    return this.options.spec.aggregations.flatMap((a) => a.windows.map((w) => ({ name: a.name, window: w.label, from: tumblingStart(fromMs, w.ms), to: toMs })));
  }

  /** Refuses a range with windows still open; what the hot store holds that the tables do not yet is exported as each step starts. */
  async check(fromMs: number, toMs: number): Promise<void> {
    await this.options.target.inTurn((conn) => this.refuseOpen(conn, fromMs, toMs, false));
  }

  private async refuseOpen(conn: DuckDBConnection, fromMs: number, toMs: number, exported: boolean): Promise<void> {
    const { from, to } = this.widened(fromMs, toMs);
    const open = Number((await conn.runAndReadAll(`SELECT count(*) FROM aggregates WHERE NOT final AND window_start < ${to} AND window_end > ${from}`)).getRows()[0]![0]);
    if (open > 0) {
      throw new SightlineError('SL_BACKFILL_RANGE_OPEN', `${open} windows between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} are still open: backfill days whose windows have closed`);
    }
    if (!exported) return;
    // The recount reads the table: every event the windows hold must be in it.
    const unexported = Number(
      (
        await conn.runAndReadAll(
          `SELECT count(*) FROM events WHERE timestamp >= ${from} AND timestamp < ${to} AND ${NOT_PROBE_SQL}
             AND commit_no > (SELECT coalesce(max(to_no), 0) FROM sl_cold_exports WHERE dataset = 'events' AND done)`,
        )
      ).getRows()[0]![0],
    );
    if (unexported > 0) throw new SightlineError('SL_BACKFILL_RANGE_OPEN', `${unexported} events of the range are not in the cold tier yet (the archiver exports them shortly)`);
  }

  async day(day: string): Promise<{ events: number; changed: number; refused: number }> {
    const { target, spec, reference, deadLetters } = this.options;
    const clock = this.options.clock ?? Date.now;
    // What the hot store committed before the day is read is in the table.
    await target.exportNow();
    return target.inTurn((conn) =>
      backfillDay(
        {
          conn,
          cold: target.cold,
          tables: target.tables,
          encryption: target.encryption,
          reprocess: (rows) => reprocess(rows, spec, reference(), clock()),
          deadLetters: (letters) => deadLetters.write(letters),
          applyToHot: async () => void (await target.hot.applyStaged(applyBackfilledRows)),
        },
        day,
      ),
    );
  }

  async windows(fromMs: number, toMs: number): Promise<number> {
    const { target, spec } = this.options;
    await target.exportNow();
    const { windows } = await target.inTurn(async (conn) => {
      await this.refuseOpen(conn, fromMs, toMs, true);
      return recountWindows(
        {
          conn,
          cold: target.cold,
          tables: target.tables,
          encryption: target.encryption,
          count: (rows, touched) => countStored(rows, spec, touched),
          replaceInHot: (ranges) => target.hot.applyStaged((writer) => replaceBackfilledWindows(writer, ranges)),
        },
        this.ranges(fromMs, toMs),
        this.widened(fromMs, toMs),
      );
    });
    return windows;
  }
}
