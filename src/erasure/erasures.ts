import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type ErasureCounts, type ErasureScope, subjectOf } from '../core/erasure.js';
import { isSightlineError, SightlineError } from '../core/errors.js';
import { SerialQueue } from '../core/serial.js';
import type { TableStore } from '../core/ports/table-store.js';
import type { ErasureRecord, ErasureRequest, ErasureResult } from './erasure-table.js';

/** Removes one request's data from what this node holds; the serving nodes have one. */
export interface ErasureApplier {
  apply(scope: ErasureScope): Promise<ErasureCounts>;
}

/** How long a node waits before it tries a failed request again. */
const RETRY_MS = 60_000;
/** Event times as JavaScript dates hold them: ±8.64e15 ms. */
const MAX_TIME = 8.64e15;

export interface ErasureView {
  id: string;
  /** SHA-256 of the user id: the request never keeps the id itself. */
  subject: string;
  from: number | null;
  to: number;
  requested_at: number;
  requested_by: string;
  /** done once a node holding the data applied it; failed when that node could not. */
  state: 'pending' | 'done' | 'failed';
  results: Array<{ node: string; at: number; counts?: ErasureCounts; error?: { code: string; message: string } }>;
}

/**
 * Deletion requests on their table: made by the admin API, kept so that every node holding the
 * data (every serving node of a deployment, and one that starts later) applies each once, and
 * reported with what each node removed.
 */
export class Erasures {
  private readonly requests = new Map<string, ErasureRequest>();
  private readonly results = new Map<string, ErasureResult[]>();
  private readonly queue = new SerialQueue();
  private readonly queued = new Set<string>();
  private closed = false;

  private constructor(
    private readonly table: TableStore<ErasureRecord>,
    private readonly node: string,
    private readonly applier: ErasureApplier | undefined,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly onApplied: ((result: ErasureResult) => Promise<unknown>) | undefined,
  ) {}

  /** `onApplied` hears each outcome this node recorded (the audit log's "data.erased"). */
  static async open(
    table: TableStore<ErasureRecord>,
    options: { node: string; applier?: ErasureApplier; logger: Logger; clock?: () => number; onApplied?: (result: ErasureResult) => Promise<unknown> },
  ): Promise<Erasures> {
    const erasures = new Erasures(table, options.node, options.applier, options.logger, options.clock ?? Date.now, options.onApplied);
    await table.follow((records) => erasures.deliver(records));
    return erasures;
  }

  private deliver(records: readonly ErasureRecord[]): void {
    for (const record of records) {
      if (record.kind === 'erasure') this.requests.set(record.id, record);
      else this.results.set(record.id, [...(this.results.get(record.id) ?? []).filter((r) => r.node !== record.node), record]);
    }
    for (const request of this.requests.values()) this.schedule(request);
  }

  /** Applies a request this node has not applied yet, one at a time, in the order they came. */
  private schedule(request: ErasureRequest): void {
    if (!this.applier || this.closed || this.queued.has(request.id)) return;
    if ((this.results.get(request.id) ?? []).some((r) => r.node === this.node && r.counts)) return;
    this.queued.add(request.id);
    void this.queue.run(async () => {
      if (this.closed) return;
      const result: ErasureResult = { kind: 'erasure-result', id: request.id, node: this.node, at: 0 };
      try {
        result.counts = await this.applier!.apply({ subject: request.subject, from: request.from, to: request.to });
      } catch (error) {
        this.logger.error({ err: error, erasure: request.id }, 'a deletion request failed on this node; it is tried again in a minute and at the next start');
        result.error = { code: isSightlineError(error) ? error.code : 'SL_ERASURE_FAILED', message: (error as Error).message };
        setTimeout(() => {
          this.queued.delete(request.id);
          this.schedule(request);
        }, RETRY_MS).unref();
      }
      result.at = this.clock();
      await this.table.exclusive(() => ({ records: [result], result: undefined })).catch((error: unknown) => {
        this.logger.error({ err: error, erasure: request.id }, 'recording the outcome of a deletion request failed');
      });
      if (result.counts) this.logger.info({ erasure: request.id, ...result.counts }, 'deletion request applied');
      await this.onApplied?.(result).catch((error: unknown) => this.logger.error({ err: error, erasure: request.id }, 'auditing the outcome of a deletion request failed'));
    });
  }

  /** Records a request; the serving nodes apply it in the background. */
  async request(userId: string, range: { from: number | null; to: number | null }, actor: string): Promise<ErasureView> {
    const now = this.clock();
    const to = range.to ?? now;
    for (const [name, value] of [['from', range.from], ['to', to]] as const) {
      if (value !== null && !(Number.isFinite(value) && Math.abs(value) <= MAX_TIME)) throw new SightlineError('SL_API_BAD_REQUEST', `"${name}" is not a time a date can hold`);
    }
    if (range.from !== null && range.from > to) throw new SightlineError('SL_API_BAD_REQUEST', '"from" is after "to"');
    const request: ErasureRequest = { kind: 'erasure', id: `er_${randomBytes(8).toString('hex')}`, subject: subjectOf(userId), from: range.from, to, requestedAt: now, requestedBy: actor };
    await this.table.exclusive(() => ({ records: [request], result: undefined }));
    return this.view(request);
  }

  get(id: string): ErasureView {
    const request = this.requests.get(id);
    if (!request) throw new SightlineError('SL_ERASURE_NOT_FOUND', `no deletion request "${id}"`);
    return this.view(request);
  }

  list(): ErasureView[] {
    return [...this.requests.values()].sort((a, b) => b.requestedAt - a.requestedAt).map((r) => this.view(r));
  }

  /** Resolves once this node applied everything it was given so far (tests, a drained stop). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private view(request: ErasureRequest): ErasureView {
    const results = (this.results.get(request.id) ?? []).map(({ node, at, counts, error }) => ({ node, at, ...(counts && { counts }), ...(error && { error }) }));
    // One node's failure outweighs another's success: the user's data is still there.
    const state = results.some((r) => r.error) ? 'failed' : results.some((r) => r.counts) ? 'done' : 'pending';
    return { id: request.id, subject: request.subject, from: request.from, to: request.to, requested_at: request.requestedAt, requested_by: request.requestedBy, state, results };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    await this.table.close();
  }
}
