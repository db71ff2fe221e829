import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { PipelineCheckpoint, SeenId, StreamTime } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { PipelineSpec, PipelineState } from './batch-plan.js';
import { emptyState, planAndApply, type PlannedBatch, type Planner, stateFromCheckpoint, type StoredIdsLookup, type UniqueValuesByRule } from './planner.js';

/** Plans on the calling thread. */
export class InlinePlanner implements Planner {
  private state: PipelineState;

  constructor(private readonly spec: PipelineSpec, private readonly reference?: ReferenceData) {
    this.state = emptyState(spec);
  }

  watermark: number | null = null;
  streams: StreamTime[] = [];

  async reset(checkpoint: PipelineCheckpoint, ids: SeenId[], unique?: UniqueValuesByRule): Promise<void> {
    this.state = stateFromCheckpoint(this.spec, checkpoint, ids, unique);
    this.watermark = checkpoint.watermark;
    this.streams = checkpoint.streams;
  }

  async plan(records: readonly LogRecord[], partitionsWithUnread: readonly number[], base: PartitionOffsets, lookup: StoredIdsLookup, now: number): Promise<PlannedBatch> {
    const plan = await planAndApply(this.state, this.spec, this.reference, records, partitionsWithUnread, base, lookup, now);
    this.watermark = plan.watermark;
    this.streams = plan.streams;
    return plan;
  }

  async close(): Promise<void> {}
}
