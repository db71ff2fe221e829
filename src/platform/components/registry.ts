import type { ContractFieldSource } from '../../core/contract-field.js';
import type { FastifyInstance } from 'fastify';
import { ContractStats } from '../../contracts/contract-stats.js';
import { SchemaRegistry } from '../../registry/schema-registry.js';
import { contractRoutes } from '../../serve/routes/contracts.js';
import { confluentRegistryRoutes } from '../../serve/routes/registry/confluent-routes.js';
import { openOver } from '../../table/log-table.js';
import { type Component, notStarted, startOrUndo } from '../component.js';
import { registerConfiguredContracts } from '../configured-contracts.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';

/**
 * The schema registry, on every node: it follows its topic on the log (shared by every node of a
 * deployment on Kafka) and answers Confluent's API. A node that ingests registers the config's
 * contracts before it takes an event.
 */
export class RegistryComponent implements Component {
  readonly name = 'registry';
  private opened: SchemaRegistry | undefined;
  readonly contractStats: ContractStats;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
  ) {
    this.contractStats = new ContractStats(ctx.metrics.registry);
  }

  start(): Promise<void> {
    return startOrUndo(this, async () => {
      const { config } = this.ctx;
      this.opened = await openOver(await this.logs.adaptersOf().openSchemaStore(), (store) => SchemaRegistry.open(store, { defaultCompatibility: config.contracts.defaultCompatibility }));
      if (this.ctx.roles.has('ingest')) await registerConfiguredContracts(this.opened, config.contracts.register, this.ctx.logger);
    });
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }

  /**
   * The contracts' fields for the contract tables of the cold tier, once the registry has opened.
   * After it closes (before the stores: the archiver's last export comes after) it answers from
   * what it last read, so that export fills the contract tables too.
   */
  readonly contractFields: ContractFieldSource = {
    ready: () => this.opened !== undefined,
    fields: (subject) => this.registry.contractFields(subject),
  };

  get registry(): SchemaRegistry {
    if (!this.opened) throw notStarted('the schema registry');
    return this.opened;
  }

  async routes(app: FastifyInstance): Promise<void> {
    await app.register(contractRoutes, { registry: this.registry, stats: this.contractStats });
    await app.register(confluentRegistryRoutes, { registry: this.registry });
  }
}
