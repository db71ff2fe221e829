import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { AlertEngine, type KeptAlerts } from '../../alerts/alert-engine.js';
import { SnapshotFile } from '../../fs/snapshot-file.js';
import type { AlertSignals } from '../../alerts/signals.js';
import type { SourceTypeCounter } from '../../observe/source-type-counter.js';
import { alertRoutes } from '../../serve/routes/alerts.js';
import type { Component } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { IngestRole } from './ingest-role.js';
import type { LogComponent } from './log.js';
import type { ProcessRole } from './process-role.js';

/** The alert engine over what this process sees (volume, freshness, errors, backlog, version drift), and /v1/alerts. */
export class AlertsComponent implements Component {
  readonly name = 'alerts';
  private url = '';
  readonly engine: AlertEngine;
  private readonly kept: SnapshotFile;

  constructor(ctx: PlatformContext, parts: { logs: LogComponent; ingest: IngestRole | undefined; process: ProcessRole | undefined; sourceTypes: SourceTypeCounter }) {
    const { logs, ingest, process, sourceTypes } = parts;
    const signals = (): AlertSignals => {
      const counters = ingest?.service.counters;
      const processing = process?.processing;
      return {
        now: Date.now(),
        volume: sourceTypes.snapshot(),
        newestEventTime: processing?.newestEventTimes() ?? [],
        received: (counters?.accepted ?? 0) + (counters?.rejected ?? 0),
        failed: (counters?.rejected ?? 0) + (processing?.counters.deadLettered ?? 0),
        backlog: logs.backlog.total(),
        versionMismatches: { ...processing?.counters.versionMismatchesBySubjectVersion },
      };
    };
    this.engine = new AlertEngine({ config: ctx.config.alerts, signals, logger: ctx.loggerFor('alerts'), registry: ctx.metrics.registry, externalUrl: () => this.url });
    // Alert states and learned baselines survive a restart: a firing alert is not announced again,
    // and volume baselines are not relearned from nothing.
    this.kept = new SnapshotFile(join(ctx.config.dataDir, 'state', 'alerts.json'), () => this.engine.snapshot(), ctx.loggerFor('alerts'));
  }

  async start(): Promise<void> {
    const kept = await this.kept.load();
    if (kept && typeof kept === 'object') this.engine.restore(kept as Partial<KeptAlerts>);
    this.engine.start();
    this.kept.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    await this.kept.stop();
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(alertRoutes, { engine: this.engine });
  }

  async listening(url: string): Promise<void> {
    this.url = url;
  }
}
