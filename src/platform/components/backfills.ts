import type { FastifyInstance } from 'fastify';
import { openBackfillTable } from '../../backfill/backfill-table.js';
import { Backfills } from '../../backfill/backfills.js';
import type { BackfillView } from '../../core/backfill.js';
import { SightlineError } from '../../core/errors.js';
import { backfillRoutes } from '../../serve/routes/backfills.js';
import { ColdBackfill } from '../../backfill/cold-backfill.js';
import { openOver } from '../../table/log-table.js';
import { type Component, startOrUndo } from '../component.js';
import { type PlatformContext, storeNode } from '../context.js';
import type { AuditComponent } from './audit.js';
import type { LogComponent } from './log.js';
import { pipelineSpec, type ProcessRole } from './process-role.js';
import type { StoresComponent } from './stores.js';

/**
 * Backfills from the cold tier, on a node that runs processing and serving over one data folder
 * (`sightline up`): the `_backfills` table on the log, the runner over the stores, and the admin
 * API. Elsewhere the API answers that this node cannot backfill.
 */
export class BackfillsComponent implements Component {
  readonly name = 'backfills';
  private opened: Backfills | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
    private readonly audit: AuditComponent,
    private readonly stores: StoresComponent,
    private readonly process: ProcessRole | undefined,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, async () => {
      const { log, sharedTables } = this.logs.adaptersOf();
      const target = this.stores.tablesTarget();
      // Distributed serving nodes each load their own hot store from the log: one node's backfill
      // would leave the others' copies as they were. Not offered there yet.
      if (sharedTables || !this.process || !target) return;
      const process = this.process;
      const node = storeNode(this.ctx);
      const runner = new ColdBackfill({
        target,
        spec: pipelineSpec(this.ctx.config),
        reference: () => process.referenceData,
        deadLetters: this.logs.deadLetters,
        ...(this.ctx.clock && { clock: this.ctx.clock }),
      });
      this.opened = await openOver(await openBackfillTable(log, sharedTables), (table) =>
        Backfills.open(table, {
          node,
          runner,
          logger: this.ctx.loggerFor('backfill'),
          ...(this.ctx.clock && { clock: this.ctx.clock }),
          onFinished: (view) => this.audited(node, view),
        }),
      );
    });
  }

  private audited(node: string, view: BackfillView): Promise<unknown> {
    return this.audit.audit.record({
      actor: `node:${node}`,
      action: 'data.backfilled',
      target: `${view.id} ${view.from}..${view.to}`,
      outcome: view.state === 'done' ? 'ok' : 'failed',
      source: null,
      trace_id: null,
      detail: view.error ? { code: view.error.code } : { events: view.counts.events, changed: view.counts.changed, refused: view.counts.refused, windows: view.counts.windows },
    });
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }

  /** The backfills, or why this node has none. */
  backfills(): Backfills {
    if (this.opened) return this.opened;
    throw new SightlineError('SL_BACKFILL_UNAVAILABLE', 'this node cannot backfill: backfills run where processing and serving share one data folder (sightline up); distributed deployments do not have them yet');
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(backfillRoutes, { backfills: () => this.backfills() });
  }
}
