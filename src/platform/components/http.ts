import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../core/version.js';
import { createApiServer, operationsRoutes } from '../../serve/server.js';
import { addressInUse } from '../address-check.js';
import { type Component, notStarted } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { AuditComponent } from './audit.js';
import type { KeysComponent } from './keys.js';

/**
 * The API: every component's routes on one server, and what every node answers (status, health,
 * readiness, metrics). /v1/status is the components' parts together; /readyz their reasons.
 */
export class HttpComponent implements Component {
  readonly name = 'http';
  private app: FastifyInstance | undefined;
  private address: string | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly keys: KeysComponent,
    private readonly audit: AuditComponent,
    /** Every component of the process, in start order. */
    private readonly components: () => readonly Component[],
  ) {}

  async start(): Promise<void> {
    const { ctx } = this;
    const app = await createApiServer({
      logger: ctx.logger,
      metrics: ctx.metrics,
      tracing: ctx.tracing,
      version: VERSION,
      listen: ctx.config.server,
      access: { keys: this.keys.keys, required: ctx.config.auth.required, audit: this.audit.audit },
      rateLimits: ctx.config.rateLimits,
    });
    for (const component of this.components()) await component.routes?.(app);
    await operationsRoutes(app, { status: () => this.statusDocument(), ready: () => this.readiness(), failing: () => this.failingReasons(), metrics: ctx.metrics });
    this.app = app;
    try {
      this.address = await app.listen({ host: ctx.config.server.host, port: ctx.config.server.port });
    } catch (err) {
      await app.close();
      throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? addressInUse(ctx.config.server, err) : err;
    }
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }

  get url(): string {
    if (this.address === undefined) throw notStarted('the API');
    return this.address;
  }

  private async statusDocument(): Promise<Record<string, unknown>> {
    const parts = await Promise.all(this.components().map((c) => c.status?.()));
    return { version: VERSION, roles: [...this.ctx.roles], data_dir: this.ctx.config.dataDir, ...Object.assign({}, ...parts) };
  }

  private async failingReasons(): Promise<string[]> {
    return (await Promise.all(this.components().map((c) => c.failing?.() ?? []))).flat();
  }

  /** Ready = it can take, process and serve events: the log can be written, the stores answer, nothing is stalled. */
  private async readiness(): Promise<{ ready: boolean; reasons: string[] }> {
    const reasons = (await Promise.all(this.components().map((c) => c.unready?.() ?? []))).flat();
    return { ready: reasons.length === 0, reasons };
  }
}
