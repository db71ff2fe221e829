import type { FastifyInstance } from 'fastify';
import { KeyStore } from '../../auth/key-store.js';
import { openKeyTable } from '../../auth/key-table.js';
import { keysRoutes } from '../../serve/routes/keys.js';
import { openOver } from '../../table/log-table.js';
import { type Component, notStarted, startOrUndo } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';

/**
 * API keys, on every node: the `_keys` table followed on the log, the admin API, and on a
 * platform's very first start an admin key, whose token the start-up banner shows once.
 */
export class KeysComponent implements Component {
  readonly name = 'keys';
  private opened: KeyStore | undefined;
  /** The token of the admin key made at this start, when no key existed before; shown once. */
  firstAdminToken: string | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, async () => {
      const { log, sharedTables } = this.logs.adaptersOf();
      this.opened = await openOver(await openKeyTable(log, sharedTables), (table) => KeyStore.open(table));
      this.firstAdminToken = await this.opened.bootstrapAdmin();
      if (this.firstAdminToken) this.ctx.logger.info({ key: this.firstAdminToken.slice(4, 20) }, 'first start: an admin key was created (its token is shown once, on the console)');
    });
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }

  get keys(): KeyStore {
    if (!this.opened) throw notStarted('the API keys');
    return this.opened;
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(keysRoutes, { keys: this.keys });
  }
}
