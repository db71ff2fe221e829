import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { PipelineCheckpoint } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { PipelineSpec, PipelineState } from './batch-plan.js';
import { emptyState, planAndApply, type PlannedBatch, type Planner, stateFromCheckpoint, type StoredIdsLookup, type UniqueValuesByRule } from './planner.js';

/** Plans on the calling thread. */
export class InlinePlanner implements Planner {
  private state: PipelineState;

  constructor(private readonly spec: PipelineSpec, private readonly reference?: ReferenceData) {
    this.state = emptyState(spec);
  }

  get watermark(): number | null {
    return this.state.watermark;
  }

  async reset(checkpoint: PipelineCheckpoint, ids: Array<{ id: string; timestamp: number }>, unique?: UniqueValuesByRule): Promise<void> {
    this.state = stateFromCheckpoint(this.spec, checkpoint, ids, unique);
  }

  plan(records: readonly LogRecord[], partitionsWithUnread: readonly number[], base: PartitionOffsets, lookup: StoredIdsLookup): Promise<PlannedBatch> {
    return planAndApply(this.state, this.spec, this.reference, records, partitionsWithUnread, base, lookup);
  }

  async close(): Promise<void> {}
}
