import type { BackfillCounts, BackfillRunner } from '../core/backfill.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import { SightlineError } from '../core/errors.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { PipelineSpec } from '../process/batch-plan.js';
import { backfillSpec, reprocess } from '../process/reprocess.js';
import { tumblingStart } from '../process/stages/windows.js';
import type { Archiver } from '../store/hot/archiver.js';
import { backfillDay } from '../store/hot/backfill-day.js';

export interface ColdBackfillOptions {
  target: ReturnType<Archiver['tablesTarget']>;
  spec: PipelineSpec;
  /** The reference data loaded now (it reloads when its file changes). */
  reference: () => ReferenceData | undefined;
  deadLetters: DeadLetterWriter;
  clock?: () => number;
}

const DAY_MS = 86_400_000;

/**
 * Backfills from the cold tier of this node: each day of the `events` table planned and replaced
 * in the archiver's turn (never while an export, an erasure or a lifecycle job rewrites files),
 * with processing's checks as configured now, less the rules judged on arrival (backfillSpec).
 */
export class ColdBackfill implements BackfillRunner {
  private readonly spec: PipelineSpec;

  constructor(private readonly options: ColdBackfillOptions) {
    this.spec = backfillSpec(options.spec);
  }

  /** The event times of the windows that hold events of [fromMs, toMs): the range widened to whole windows. */
  private widened(fromMs: number, toMs: number): { from: number; to: number } {
    let [from, to] = [fromMs, toMs];
    for (const a of this.spec.aggregations) {
      for (const w of a.windows) {
        from = Math.min(from, tumblingStart(fromMs, w.ms));
        to = Math.max(to, tumblingStart(toMs - 1, w.ms) + w.ms);
      }
    }
    return { from, to };
  }

  /** Refuses a range whose windows are still open: a refused event's share is taken from a final count. Reads without waiting for the archiver. */
  async check(fromMs: number, toMs: number): Promise<void> {
    const { from, to } = this.widened(fromMs, toMs);
    const [row] = await this.options.target.hot.query(`SELECT count(*) AS open FROM aggregates WHERE NOT final AND window_start < ${to} AND window_end > ${from}`);
    const open = Number(row?.open ?? 0);
    if (open > 0) {
      throw new SightlineError('SL_BACKFILL_RANGE_OPEN', `${open} windows between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} are still open: backfill days whose windows have closed (a window closes once its stream's watermark, or the wall clock after process.idleTimeout of quiet, passes its end by process.allowedLateness)`);
    }
  }

  async day(job: string, day: string, options: { dryRun: boolean }): Promise<BackfillCounts> {
    const { target, reference, deadLetters } = this.options;
    const clock = this.options.clock ?? Date.now;
    const from = Date.parse(`${day}T00:00:00Z`);
    await this.check(from, from + DAY_MS);
    return target.inTurn((conn) =>
      backfillDay(
        {
          conn,
          cold: target.cold,
          tables: target.tables,
          encryption: target.encryption,
          reprocess: (rows) => reprocess(rows, this.spec, reference(), clock()),
          deadLetters: (letters) => deadLetters.write(letters),
          applyStaged: (change) => target.hot.applyStaged(change),
          exportPending: target.exportPending,
        },
        job,
        day,
        options.dryRun,
      ),
    );
  }
}
