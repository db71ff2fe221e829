/**
 * The planner's worker thread: holds the pipeline state and plans batches, so that decoding,
 * dedup, windowing and row encoding run on another core than HTTP ingest and the event loop.
 * Speaks the protocol of WorkerThreadPlanner (worker-thread-planner.ts), which starts it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PipelineCheckpoint, SeenId } from '../core/ports/processed-batch.js';
import type { LogRecord } from '../core/ports/log.js';
import type { PipelineSpec, PipelineState } from './batch-plan.js';
import { emptyState, planAndApply, stateFromCheckpoint, type UniqueValuesByRule } from './planner.js';
import { FileReferenceData, type FileReferenceDataOptions } from './reference/file-reference-data.js';
import { unpackRecords, type PackedRecords } from './record-pack.js';

export interface PlannerThreadData {
  spec: PipelineSpec;
  reference?: Omit<FileReferenceDataOptions, 'onReload'>;
}

export type ToWorker =
  | { kind: 'reset'; seq: number; checkpoint: PipelineCheckpoint; ids: SeenId[]; unique?: UniqueValuesByRule }
  | { kind: 'plan'; seq: number; packed: PackedRecords; withUnread: number[]; base: Map<number, number>; now: number }
  | { kind: 'stored'; seq: number; ids: string[]; error?: string };

const port = parentPort!;
const { spec, reference: referenceOptions } = workerData as PlannerThreadData;
// The main thread opened the file strictly at start; a thread started later (after the last one
// died) must not stop processing because the file is being edited right then.
const reference = referenceOptions ? await FileReferenceData.open({ ...referenceOptions, strict: false }) : undefined;
let state: PipelineState = emptyState(spec);
const lookups = new Map<number, { resolve: (ids: Set<string>) => void; reject: (err: Error) => void }>();

port.on('message', (message: ToWorker) => {
  if (message.kind === 'stored') {
    const lookup = lookups.get(message.seq);
    lookups.delete(message.seq);
    if (message.error !== undefined) lookup?.reject(new Error(message.error));
    else lookup?.resolve(new Set(message.ids));
    return;
  }
  void handle(message).catch((err: unknown) => port.postMessage({ kind: 'error', seq: message.seq, message: (err as Error).stack ?? String(err) }));
});

async function handle(message: Exclude<ToWorker, { kind: 'stored' }>): Promise<void> {
  if (message.kind === 'reset') {
    for (const lookup of lookups.values()) lookup.reject(new Error('reset'));
    lookups.clear();
    state = stateFromCheckpoint(spec, message.checkpoint, message.ids, message.unique);
    port.postMessage({ kind: 'done', seq: message.seq });
    return;
  }
  const records: LogRecord[] = unpackRecords(message.packed);
  const lookup = (ids: string[]): Promise<Set<string>> =>
    new Promise((resolve, reject) => {
      lookups.set(message.seq, { resolve, reject });
      port.postMessage({ kind: 'lookup', seq: message.seq, ids });
    });
  const plan = await planAndApply(state, spec, reference, records, message.withUnread, message.base, lookup, message.now);
  port.postMessage({ kind: 'done', seq: message.seq, plan }, [plan.rows.ndjson.buffer as ArrayBuffer]);
}

port.postMessage({ kind: 'ready' });
