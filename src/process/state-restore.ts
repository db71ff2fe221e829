import { dedupHorizon } from '../core/dedup-window.js';
import { SightlineError } from '../core/errors.js';
import type { PartitionOffsets } from '../core/ports/log.js';
import type { PipelineStore } from '../core/ports/pipeline-store.js';
import type { PipelineCheckpoint, SeenId } from '../core/ports/processed-batch.js';
import { compiledRules } from '../quality/quality-tally.js';
import type { PipelineSpec } from './batch-plan.js';
import { clocksOf, dedupStarts, uniqueWatermark, type UniqueValuesByRule } from './planner.js';

/**
 * What a restart reads from the store besides the checkpoint: the ids each stream's dedup state
 * holds (from its own watermark minus the window; without a watermark yet, only the first batches
 * ever committed, every stored id is recent), and each `unique` rule's values within the window of
 * the streams it checks.
 */
export async function stateSince(store: PipelineStore, spec: PipelineSpec, checkpoint: PipelineCheckpoint, now: number): Promise<{ ids: SeenId[]; unique: UniqueValuesByRule }> {
  const ids = await store.idsSince(dedupStarts(spec, checkpoint).earliest);
  const unique: UniqueValuesByRule = {};
  if (spec.quality) {
    const clocks = clocksOf(spec, checkpoint.streams);
    for (const rule of compiledRules(spec.quality)) {
      if (!rule.uniqueField) continue;
      // A checkpoint from before streams had their own watermarks has the pipeline's alone.
      const watermark = checkpoint.streams.length === 0 ? checkpoint.watermark : uniqueWatermark(rule.match, clocks, now);
      unique[rule.name] = await store.uniqueValuesSince({ name: rule.name, match: rule.match, field: rule.uniqueField }, dedupHorizon(watermark, spec.dedupWindowMs));
    }
  }
  return { ids, unique };
}

/**
 * The store must not be ahead of the log (the log lost acknowledged records, e.g. a data folder
 * put together from backups of different times) nor behind what retention deleted.
 */
export function checkOffsetsAgainstLog(offsets: PartitionOffsets, topic: string, ends: PartitionOffsets, starts: PartitionOffsets): void {
  for (const [p, offset] of offsets) {
    const end = ends.get(p) ?? 0;
    const start = starts.get(p) ?? 0;
    if (offset > end || offset < start) {
      throw new SightlineError(
        'SL_LOG_CORRUPT',
        `the hot store has processed partition ${p} of "${topic}" up to offset ${offset}, but the log holds offsets ${start} to ${end}: ` +
          'the log and the hot store are not from the same history (restored separately?); refusing to start',
      );
    }
  }
}
