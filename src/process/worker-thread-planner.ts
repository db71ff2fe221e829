import { Worker } from 'node:worker_threads';
import { SightlineError } from '../core/errors.js';
import type { PipelineCheckpoint, SeenId, StreamTime } from '../core/ports/processed-batch.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { PlannedBatch, Planner, StoredIdsLookup, UniqueValuesByRule } from './planner.js';
import type { PlannerThreadData, ToWorker } from './worker-thread-planner.worker.js';
import { packRecords } from './record-pack.js';

type FromWorker =
  | { kind: 'ready' }
  | { kind: 'done'; seq: number; plan?: PlannedBatch }
  | { kind: 'lookup'; seq: number; ids: string[] }
  | { kind: 'error'; seq: number; message: string };

/**
 * Plans in a worker thread (worker-thread-planner.worker.ts); one request at a time, as the processor sends
 * them. If the thread dies, pending requests fail, and the processor's next `reset` (its recovery
 * from the store) starts a new thread.
 */
export class WorkerThreadPlanner implements Planner {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (plan: PlannedBatch | undefined) => void; reject: (err: Error) => void; lookup?: StoredIdsLookup }>();
  private lastWatermark: number | null = null;
  private lastStreams: StreamTime[] = [];
  private failure: Error | undefined;
  private worker!: Worker;

  private constructor(private readonly data: PlannerThreadData) {}

  static async start(data: PlannerThreadData): Promise<WorkerThreadPlanner> {
    const planner = new WorkerThreadPlanner(data);
    await planner.spawn();
    return planner;
  }

  private async spawn(): Promise<void> {
    const worker = new Worker(new URL('./worker-thread-planner.worker.js', import.meta.url), { workerData: this.data });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: FromWorker) => (m.kind === 'ready' ? resolve() : reject(new Error('planner thread did not start'))));
      worker.once('error', reject);
    });
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    const fail = (err: Error): void => {
      if (worker !== this.worker) return;
      this.failure = new SightlineError('SL_API_INTERNAL', `planner thread failed: ${err.message}`, { cause: err });
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.worker = worker;
    this.failure = undefined;
  }

  get watermark(): number | null {
    return this.lastWatermark;
  }

  get streams(): StreamTime[] {
    return this.lastStreams;
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'ready') return;
    const pending = this.pending.get(m.seq);
    if (!pending) return;
    if (m.kind === 'lookup') {
      pending.lookup!(m.ids).then(
        (ids) => this.worker.postMessage({ kind: 'stored', seq: m.seq, ids: [...ids] } satisfies ToWorker),
        (err: Error) => {
          this.pending.delete(m.seq);
          pending.reject(err);
          // Let the thread drop the suspended plan instead of holding its records.
          this.worker.postMessage({ kind: 'stored', seq: m.seq, ids: [], error: err.message } satisfies ToWorker);
        },
      );
      return;
    }
    this.pending.delete(m.seq);
    if (m.kind === 'error') pending.reject(new SightlineError('SL_API_INTERNAL', `planner thread: ${m.message}`));
    else pending.resolve(m.plan);
  }

  private request(message: ToWorker, lookup?: StoredIdsLookup, transfer: ArrayBuffer[] = []): Promise<PlannedBatch | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.seq, { resolve, reject, ...(lookup && { lookup }) });
      this.worker.postMessage(message, transfer);
    });
  }

  async reset(checkpoint: PipelineCheckpoint, ids: SeenId[], unique?: UniqueValuesByRule): Promise<void> {
    if (this.failure) await this.spawn();
    await this.request({ kind: 'reset', seq: ++this.seq, checkpoint, ids, ...(unique && { unique }) });
    this.lastWatermark = checkpoint.watermark;
    this.lastStreams = checkpoint.streams;
  }

  async plan(records: readonly LogRecord[], partitionsWithUnread: readonly number[], base: PartitionOffsets, lookup: StoredIdsLookup, now: number): Promise<PlannedBatch> {
    const packed = packRecords(records[0]?.topic ?? '', records);
    const plan = await this.request({ kind: 'plan', seq: ++this.seq, packed, withUnread: [...partitionsWithUnread], base: new Map(base), now }, lookup, [packed.values]);
    this.lastWatermark = plan!.watermark;
    this.lastStreams = plan!.streams;
    // Buffers come back from the thread as plain Uint8Arrays.
    for (const letter of plan!.deadLetters) letter.original = Buffer.from(letter.original.buffer, letter.original.byteOffset, letter.original.byteLength);
    return plan!;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
