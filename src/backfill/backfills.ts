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
/** A failed backfill is tried again after a minute, then twice as long each time, up to an hour. */
const RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;
/** Backfills asked for and not done: more wait for these. */
const MAX_UNFINISHED = 10;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayStart(name: string, day: string): number {
  const ms = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== day) throw new SightlineError('SL_API_BAD_REQUEST', `"${name}" must be a day, YYYY-MM-DD (got "${day}")`);
  return ms;
}

/** How many days a request covers (0 when "from" is after "to"). */
function dayCount(request: Pick<BackfillRequest, 'from' | 'to'>): number {
  return Math.max(0, Math.floor((dayStart('to', request.to) - dayStart('from', request.from)) / DAY_MS) + 1);
}

/** The days of a request, in order; a range longer than a backfill may cover is refused before any is listed. */
export function daysOf(request: Pick<BackfillRequest, 'from' | 'to'>): string[] {
  const from = dayStart('from', request.from);
  const count = dayCount(request);
  if (count > MAX_DAYS) throw new SightlineError('SL_API_BAD_REQUEST', `a backfill covers at most ${MAX_DAYS} days (asked for ${count}): split the range`);
  return Array.from({ length: count }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10));
}

const NO_COUNTS: BackfillCounts = { events: 0, changed: 0, refused: 0, windows: 0 };

/**
 * Backfills on their table: asked for through the admin API, run one at a time on this node, day
 * by day, with progress recorded after each day, so a restart (or a retry after a failure) goes on
 * from the first day not done. Each day keeps its plan until its steps are done (backfill-day.ts):
 * a day resumed is done with the decisions it was planned with, and no step twice.
 */
export class Backfills implements BackfillService {
  private readonly requests = new Map<string, BackfillRequest>();
  private readonly progress = new Map<string, BackfillProgress>();
  private readonly queue = new SerialQueue();
  private readonly queued = new Set<string>();
  /** Failures in a row, per backfill, since this process started. */
  private readonly failures = new Map<string, number>();
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
    const before = this.progress.get(request.id);
    let progress: BackfillProgress = { kind: 'backfill-progress', id: request.id, node: this.node, at: this.clock(), state: 'running', daysDone: before?.daysDone ?? 0, counts: { ...(before?.counts ?? NO_COUNTS) } };
    try {
      await this.record(progress);
      while (progress.daysDone < days.length) {
        if (this.closed) return;
        const done = await this.runner.day(request.id, days[progress.daysDone]!, { dryRun: request.dryRun === true });
        const c = progress.counts;
        const counts = { events: c.events + done.events, changed: c.changed + done.changed, refused: c.refused + done.refused, windows: c.windows + done.windows };
        progress = { ...progress, at: this.clock(), daysDone: progress.daysDone + 1, counts };
        await this.record(progress);
      }
      progress = { ...progress, at: this.clock(), state: 'done' };
      await this.record(progress);
      this.failures.delete(request.id);
      this.logger.info({ backfill: request.id, from: request.from, to: request.to, dryRun: request.dryRun === true, ...progress.counts }, 'backfill done');
    } catch (error) {
      const code = isSightlineError(error) ? error.code : 'SL_BACKFILL_FAILED';
      const failures = (this.failures.get(request.id) ?? 0) + 1;
      this.failures.set(request.id, failures);
      const delay = Math.min(RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
      this.logger.error({ err: error, backfill: request.id, retryInMs: delay }, 'a backfill failed; it goes on from the first step not done later and at the next start');
      progress = { ...progress, at: this.clock(), state: 'failed', error: { code, message: (error as Error).message } };
      await this.record(progress).catch((err: unknown) => this.logger.error({ err, backfill: request.id }, 'recording a backfill failure failed'));
      setTimeout(() => {
        this.queued.delete(request.id);
        this.schedule(request);
      }, delay).unref();
      // The audit log hears of a failure once, not of every retry.
      if (failures > 1) return;
    }
    await this.onFinished?.(this.view(request)).catch((err: unknown) => this.logger.error({ err, backfill: request.id }, 'auditing a backfill outcome failed'));
  }

  private async record(progress: BackfillProgress): Promise<void> {
    await this.table.exclusive(() => ({ records: [progress], result: undefined }));
    this.progress.set(progress.id, progress);
  }

  /** Records a backfill of the days `from`..`to` (UTC, both included); this node runs it in the background. */
  async request(range: { from: string; to: string; dryRun?: boolean }, actor: string): Promise<BackfillView> {
    const days = daysOf(range);
    if (days.length === 0) throw new SightlineError('SL_API_BAD_REQUEST', '"from" is after "to"');
    const unfinished = [...this.requests.keys()].filter((id) => this.progress.get(id)?.state !== 'done').length;
    if (unfinished >= MAX_UNFINISHED) throw new SightlineError('SL_BACKFILL_BUSY', `${unfinished} backfills are not done yet: wait for them (GET /v1/backfills)`);
    await this.runner.check(dayStart('from', range.from), dayStart('to', range.to) + DAY_MS);
    const request: BackfillRequest = {
      kind: 'backfill',
      id: `bf_${randomBytes(8).toString('hex')}`,
      from: range.from,
      to: range.to,
      ...(range.dryRun && { dryRun: true }),
      requestedAt: this.clock(),
      requestedBy: actor,
    };
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

  private view(request: BackfillRequest): BackfillView {
    const p = this.progress.get(request.id);
    return {
      id: request.id,
      from: request.from,
      to: request.to,
      requested_at: request.requestedAt,
      requested_by: request.requestedBy,
      state: p?.state ?? 'pending',
      dry_run: request.dryRun === true,
      days_total: dayCount(request),
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
