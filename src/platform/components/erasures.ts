import type { FastifyInstance } from 'fastify';
import { Erasures } from '../../erasure/erasures.js';
import { openErasureTable } from '../../erasure/erasure-table.js';
import { erasureRoutes } from '../../serve/routes/erasures.js';
import { openOver } from '../../table/log-table.js';
import { type Component, notStarted, startOrUndo } from '../component.js';
import { type PlatformContext, storeNode } from '../context.js';
import type { AuditComponent } from './audit.js';
import type { LogComponent } from './log.js';
import type { ServeRole } from './serve-role.js';

/**
 * Deletion requests, on every node: the `_erasures` table followed on the log and the admin API;
 * a node with the serve role applies each request to its stores once, and the audit log records
 * the request and each node's outcome.
 */
export class ErasuresComponent implements Component {
  readonly name = 'erasures';
  private opened: Erasures | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
    private readonly audit: AuditComponent,
    private readonly serve: ServeRole | undefined,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, async () => {
      const { log, sharedTables } = this.logs.adaptersOf();
      const node = storeNode(this.ctx);
      this.opened = await openOver(await openErasureTable(log, sharedTables), (table) =>
        Erasures.open(table, {
          node,
          ...(this.serve && { applier: this.serve.eraser() }),
          logger: this.ctx.loggerFor('erasure'),
          onApplied: (result) =>
            this.audit.audit.record({
              actor: `node:${node}`,
              action: 'data.erased',
              target: result.id,
              outcome: result.counts ? 'ok' : 'failed',
              source: null,
              trace_id: null,
              detail: result.counts
                ? { hot_events: result.counts.hot.events, dead_letters: result.counts.hot.deadLetters, cold_files: result.counts.cold.files, cold_rows: result.counts.cold.rows, log_records: result.counts.log.records, log_left: result.counts.log.left }
                : { code: result.error?.code ?? 'SL_ERASURE_FAILED' },
            }),
        }),
      );
    });
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }

  get erasures(): Erasures {
    if (!this.opened) throw notStarted('deletion requests');
    return this.opened;
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(erasureRoutes, { erasures: this.erasures });
  }
}
