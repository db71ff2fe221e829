import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditAnchor, AuditLog, openAuditTable } from '../../audit/audit-log.js';
import { writeFileAtomic } from '../../fs/durable-files.js';
import { auditRoutes } from '../../serve/routes/audit.js';
import { openOver } from '../../table/log-table.js';
import { type Component, notStarted, startOrUndo } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';

/** The newest audit entry this node saw, in a file of the data folder beside the log. */
function fileAnchor(path: string): AuditAnchor {
  return {
    async read() {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      const head = JSON.parse(text) as { seq?: unknown; hash?: unknown };
      return typeof head.seq === 'number' && typeof head.hash === 'string' ? { seq: head.seq, hash: head.hash } : undefined;
    },
    write: (head) => writeFileAtomic(path, JSON.stringify(head)),
  };
}

/** The audit log, on every node: the `_audit` table followed on the log, written by the API's sensitive routes. */
export class AuditComponent implements Component {
  readonly name = 'audit';
  private opened: AuditLog | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, async () => {
      const { log, sharedTables } = this.logs.adaptersOf();
      this.opened = await openOver(await openAuditTable(log, sharedTables), (table) => AuditLog.open(table, Date.now, fileAnchor(join(this.ctx.config.dataDir, 'audit-head.json'))));
      const check = this.opened.verify();
      if (!check.ok) this.ctx.logger.error({ problem: check.problem, entries: check.entries }, 'the audit log does not verify: an entry was changed, removed or reordered');
    });
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }

  get audit(): AuditLog {
    if (!this.opened) throw notStarted('the audit log');
    return this.opened;
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(auditRoutes, { audit: this.audit });
  }
}
