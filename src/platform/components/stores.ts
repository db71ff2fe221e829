import type { ContractFieldSource } from '../../core/contract-field.js';
import type { ColdArchiver, ColdStore } from '../../core/ports/cold-store.js';
import type { HotStore } from '../../core/ports/hot-store.js';
import { InstrumentedHotStore } from '../../observe/instrumented-hot-store.js';
import { Archiver } from '../../store/hot/archiver.js';
import type { OpenedStores, PlatformAdapters } from '../adapters.js';
import { type Component, notStarted } from '../component.js';
import type { PlatformContext } from '../context.js';

/**
 * A serving node's hot and cold stores, opened first and closed last. Everything in the process
 * reaches the hot store through its instrumented port, so commits, loads and API reads alike show
 * in the `hot_store` metrics.
 */
export class StoresComponent implements Component {
  readonly name = 'stores';
  private opened: OpenedStores | undefined;
  private observed: HotStore | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly adapters: PlatformAdapters,
    private readonly contracts: ContractFieldSource,
  ) {}

  async start(): Promise<void> {
    this.opened = await this.adapters.openStores({ logger: this.ctx.loggerFor('cold'), metrics: this.ctx.metrics.component('cold_store'), ...(this.ctx.clock && { clock: this.ctx.clock }), contracts: this.contracts });
    this.observed = new InstrumentedHotStore(this.opened.hot, this.ctx.metrics.component('hot_store'));
  }

  async stop(): Promise<void> {
    try {
      await this.opened?.hot.close();
    } finally {
      this.opened?.cold.close();
    }
  }

  get hot(): HotStore {
    this.started();
    return this.observed!;
  }

  get cold(): ColdStore {
    return this.started().cold;
  }

  get archiver(): ColdArchiver {
    return this.started().archiver;
  }

  /** What a backfill rewrites and SQL on read reads, where the cold tier is Sightline's Iceberg tables over its own hot store. */
  tablesTarget(): ReturnType<Archiver['tablesTarget']> | undefined {
    const { archiver } = this.started();
    return archiver instanceof Archiver ? archiver.tablesTarget() : undefined;
  }

  private started(): OpenedStores {
    if (!this.opened) throw notStarted('the stores');
    return this.opened;
  }
}
