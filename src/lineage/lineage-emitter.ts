import type { Logger } from 'pino';
import type { LineageSink } from '../core/ports/lineage-sink.js';
import { VERSION } from '../core/version.js';
import { buildLineageModel, type LineageJob, type LineageModel } from './lineage-model.js';
import type { LineageStats } from './lineage-stats.js';
import type { RunEvent, RunEventType } from './openlineage-facets.js';
import { buildRunEvent } from './run-events.js';
import { uuidv7 } from './uuid-v7.js';

export interface LineageEmitterOptions {
  /** The job namespace (config lineage.namespace). */
  namespace: string;
  /** RUNNING every this many milliseconds; 0 sends none. */
  intervalMs: number;
  /** A fresh snapshot of what the jobs did; called at start, at every interval and at stop. */
  stats: () => Promise<LineageStats>;
  sinks: LineageSink[];
  logger: Logger;
  /** URI of the emitting software in every event and facet. */
  producer?: string;
  /** How long stop() waits for the sinks to deliver what is queued. */
  closeTimeoutMs?: number;
}

/** A URI naming this Sightline version; OpenLineage asks for a producer URI, not a fetchable one. */
export const SIGHTLINE_PRODUCER = `urn:sightline:${VERSION}`;

/**
 * Reports Sightline's streaming jobs as OpenLineage runs: START for each job when the platform
 * starts, RUNNING with fresh facets every interval, COMPLETE on a clean stop. A job that fails
 * (the pipeline stalls, the archiver cannot export) gets FAIL with the reason, which ends its run;
 * once it works again a new run STARTs. With no sink it does nothing.
 */
export class LineageEmitter {
  /** The run in progress per job name. */
  private readonly runs = new Map<string, string>();
  /** Jobs whose last run ended in FAIL and that still fail: no new run for them yet. */
  private readonly failed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** Ticks run one after another; stop() waits for the one in flight. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private inRound = false;
  readonly emitted: Record<RunEventType, number> = { START: 0, RUNNING: 0, COMPLETE: 0, ABORT: 0, FAIL: 0, OTHER: 0 };

  constructor(private readonly options: LineageEmitterOptions) {}

  private get producer(): string {
    return this.options.producer ?? SIGHTLINE_PRODUCER;
  }

  async start(): Promise<void> {
    if (this.options.sinks.length === 0) return;
    await this.enqueue();
    if (this.options.intervalMs > 0) {
      // A round slower than the interval (a slow snapshot) is not queued behind: the next tick skips.
      this.timer = setInterval(() => {
        if (!this.inRound) void this.enqueue();
      }, this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** One round: START, RUNNING or FAIL for each job, from a fresh snapshot. */
  tick(): Promise<void> {
    return this.enqueue();
  }

  async stop(): Promise<void> {
    if (this.stopped || this.options.sinks.length === 0) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.enqueue(true);
    const timeout = this.options.closeTimeoutMs ?? 5000;
    await Promise.all(this.options.sinks.map((s) => s.close(timeout).catch((err) => this.options.logger.warn({ err, sink: s.name }, 'lineage sink did not close cleanly'))));
  }

  private enqueue(final = false): Promise<void> {
    this.chain = this.chain.then(async () => {
      this.inRound = true;
      try {
        await this.round(final);
      } catch (err) {
        // Telemetry never throws into the platform, and a broken round must not stop later ones.
        this.options.logger.error({ err }, 'OpenLineage round failed');
      } finally {
        this.inRound = false;
      }
    });
    return this.chain;
  }

  private async round(final: boolean): Promise<void> {
    let stats: LineageStats;
    try {
      stats = await this.options.stats();
    } catch (err) {
      // Lineage is telemetry: a failed snapshot skips a round and never stops the platform.
      this.options.logger.warn({ err }, 'lineage stats snapshot failed; no OpenLineage events this round');
      return;
    }
    const model = buildLineageModel(stats, this.options.namespace);
    for (const job of model.jobs) {
      const runId = this.runs.get(job.name);
      if (final) {
        if (runId) this.send(job.failing === null ? 'COMPLETE' : 'FAIL', runId, job, stats.now, model);
        this.runs.delete(job.name);
      } else if (!runId) {
        // A failing job gets no new run until it works again; its last run already ended in FAIL.
        if (job.failing !== null && this.failed.has(job.name)) continue;
        this.failed.delete(job.name);
        const id = uuidv7(stats.now);
        this.runs.set(job.name, id);
        this.send('START', id, job, stats.now, model);
        if (job.failing !== null) this.endInFailure(id, job, stats.now, model);
      } else if (job.failing !== null) {
        this.endInFailure(runId, job, stats.now, model);
      } else {
        this.send('RUNNING', runId, job, stats.now, model);
      }
    }
  }

  private endInFailure(runId: string, job: LineageJob, now: number, model: LineageModel): void {
    this.send('FAIL', runId, job, now, model);
    this.runs.delete(job.name);
    this.failed.add(job.name);
  }

  private send(eventType: RunEventType, runId: string, job: LineageJob, now: number, model: LineageModel): void {
    const event: RunEvent = buildRunEvent({
      eventType,
      eventTime: now,
      runId,
      job,
      model,
      producer: this.producer,
      ...(eventType === 'FAIL' && job.failing !== null && { error: job.failing }),
    });
    this.emitted[eventType]++;
    for (const sink of this.options.sinks) sink.emit(event);
  }
}
