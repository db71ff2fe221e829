import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isSightlineError, SightlineError } from '../core/errors.js';
import { SerialQueue } from '../core/serial.js';
import type { TableStore } from '../core/ports/table-store.js';
import type { BackfillCounts, BackfillRunner, BackfillService, BackfillView } from '../core/backfill.js';
import type { BackfillProgress, BackfillRecord, BackfillRequest } from './backfill-table.js';

const DAY_MS = 86_400_000;
/** A year and a day: a longer range is several jobs, each of which finishes in a bounded time. */
const MAX_DAYS = 366;
const RETRY_MS = 60_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayStart(name: string, day: string): number {
  const ms = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== day) throw new SightlineError('SL_API_BAD_REQUEST', `"${name}" must be a day, YYYY-MM-DD (got "${day}")`);
  return ms;
}

/** The days of a request, in order. */
export function daysOf(request: Pick<BackfillRequest, 'from' | 'to'>): string[] {
  const out: string[] = [];
  for (let ms = dayStart('from', request.from); ms <= dayStart('to', request.to); ms += DAY_MS) out.push(new Date(ms).toISOString().slice(0, 10));
  return out;
}

const NO_COUNTS: BackfillCounts = { events: 0, changed: 0, refused: 0, windows: 0 };

/**
 * Backfills on their table: asked for through the admin API, run one at a time on this node,
 * each day by day and then its windows, with progress recorded after each step, so a restart (or
 * a retry after a failure) goes on from the first step not done. Every step replaces by key, so a
 * step run twice changes nothing the second time.
 */
export class Backfills implements BackfillService {
  private readonly requests = new Map<string, BackfillRequest>();
  private readonly progress = new Map<string, BackfillProgress>();
  private readonly queue = new SerialQueue();
  private readonly queued = new Set<string>();
  private closed = false;

  private constructor(
    private readonly table: TableStore<BackfillRecord>,
    private readonly node: string,
    private readonly runner: BackfillRunner,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly onFinished: ((view: BackfillView) => Promise<unknown>) | undefined,
  ) {}

  static async open(
    table: TableStore<BackfillRecord>,
    options: { node: string; runner: BackfillRunner; logger: Logger; clock?: () => number; onFinished?: (view: BackfillView) => Promise<unknown> },
  ): Promise<Backfills> {
    const backfills = new Backfills(table, options.node, options.runner, options.logger, options.clock ?? Date.now, options.onFinished);
    await table.follow((records) => backfills.deliver(records));
    return backfills;
  }

  private deliver(records: readonly BackfillRecord[]): void {
    for (const record of records) {
      if (record.kind === 'backfill') this.requests.set(record.id, record);
      else this.progress.set(record.id, record);
    }
    for (const request of this.requests.values()) this.schedule(request);
  }

  private schedule(request: BackfillRequest): void {
    if (this.closed || this.queued.has(request.id) || this.progress.get(request.id)?.state === 'done') return;
    this.queued.add(request.id);
    void this.queue.run(() => this.run(request));
  }

  private async run(request: BackfillRequest): Promise<void> {
    if (this.closed) return;
    const days = daysOf(request);
    const fromMs = dayStart('from', request.from);
    const toMs = dayStart('to', request.to) + DAY_MS;
    const before = this.progress.get(request.id);
    let progress: BackfillProgress = { kind: 'backfill-progress', id: request.id, node: this.node, at: this.clock(), state: 'running', daysDone: before?.daysDone ?? 0, counts: { ...(before?.counts ?? NO_COUNTS) } };
    try {
      await this.runner.check(fromMs, toMs);
      await this.record(progress);
      while (progress.daysDone < days.length) {
        if (this.closed) return;
        const done = await this.runner.day(days[progress.daysDone]!);
        const counts = { ...progress.counts, events: progress.counts.events + done.events, changed: progress.counts.changed + done.changed, refused: progress.counts.refused + done.refused };
        progress = { ...progress, at: this.clock(), daysDone: progress.daysDone + 1, counts };
        await this.record(progress);
      }
      if (this.closed) return;
      const windows = await this.runner.windows(fromMs, toMs);
      progress = { ...progress, at: this.clock(), state: 'done', counts: { ...progress.counts, windows } };
      await this.record(progress);
      this.logger.info({ backfill: request.id, from: request.from, to: request.to, ...progress.counts }, 'backfill done');
    } catch (error) {
      const code = isSightlineError(error) ? error.code : 'SL_BACKFILL_FAILED';
      this.logger.error({ err: error, backfill: request.id }, 'a backfill failed; it goes on from the first step not done a minute later and at the next start');
      progress = { ...progress, at: this.clock(), state: 'failed', error: { code, message: (error as Error).message } };
      await this.record(progress).catch((err: unknown) => this.logger.error({ err, backfill: request.id }, 'recording a backfill failure failed'));
      setTimeout(() => {
        this.queued.delete(request.id);
        this.schedule(request);
      }, RETRY_MS).unref();
    }
    if (progress.state !== 'running') await this.onFinished?.(this.view(request)).catch((err: unknown) => this.logger.error({ err, backfill: request.id }, 'auditing a backfill outcome failed'));
  }

  private async record(progress: BackfillProgress): Promise<void> {
    await this.table.exclusive(() => ({ records: [progress], result: undefined }));
    this.progress.set(progress.id, progress);
  }

  /** Records a backfill of the days `from`..`to` (UTC, both included); this node runs it in the background. */
  async request(range: { from: string; to: string }, actor: string): Promise<BackfillView> {
    const days = daysOf(range);
    if (days.length === 0) throw new SightlineError('SL_API_BAD_REQUEST', '"from" is after "to"');
    if (days.length > MAX_DAYS) throw new SightlineError('SL_API_BAD_REQUEST', `a backfill covers at most ${MAX_DAYS} days (asked for ${days.length}): split the range`);
    const fromMs = dayStart('from', range.from);
    await this.runner.check(fromMs, dayStart('to', range.to) + DAY_MS);
    const request: BackfillRequest = { kind: 'backfill', id: `bf_${randomBytes(8).toString('hex')}`, from: range.from, to: range.to, requestedAt: this.clock(), requestedBy: actor };
    await this.table.exclusive(() => ({ records: [request], result: undefined }));
    return this.view(request);
  }

  get(id: string): BackfillView {
    const request = this.requests.get(id);
    if (!request) throw new SightlineError('SL_BACKFILL_NOT_FOUND', `no backfill "${id}"`);
    return this.view(request);
  }

  list(): BackfillView[] {
    return [...this.requests.values()].sort((a, b) => b.requestedAt - a.requestedAt).map((r) => this.view(r));
  }

  /** Resolves once every backfill queued so far ran (tests, a drained stop). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private view(request: BackfillRequest): BackfillView {
    const p = this.progress.get(request.id);
    return {
      id: request.id,
      from: request.from,
      to: request.to,
      requested_at: request.requestedAt,
      requested_by: request.requestedBy,
      state: p?.state ?? 'pending',
      days_total: daysOf(request).length,
      days_done: p?.daysDone ?? 0,
      counts: p?.counts ?? NO_COUNTS,
      updated_at: p?.at ?? null,
      ...(p?.error && { error: p.error }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    await this.table.close();
  }
}
