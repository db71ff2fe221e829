import { LOCAL_PRINCIPAL } from '../../auth/key-store.js';
import { SightlineError } from '../../core/errors.js';
import { isLoopbackBind } from '../../core/loopback.js';
import { PgServer } from '../../pgwire/pg-server.js';
import { tlsContextOf } from '../../serve/tls-files.js';
import type { Component } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { AuditComponent } from './audit.js';
import type { KeysComponent } from './keys.js';
import type { ServeRole } from './serve-role.js';

/**
 * The Postgres wire protocol (postgres.port): SQL on read of this node's serve role, for psql,
 * JDBC and BI tools, with the API's keys as passwords and the API's certificate for TLS.
 */
export class PostgresComponent implements Component {
  readonly name = 'postgres';
  private server: PgServer | undefined;
  private boundAt: string | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly serve: ServeRole,
    private readonly keys: KeysComponent,
    private readonly audit: AuditComponent,
  ) {}

  async start(): Promise<void> {
    const { config } = this.ctx;
    const { port, host, maxConnections } = config.postgres;
    const engine = this.serve.sqlEngine;
    if (port === undefined || !engine) return;
    // As the API: open beyond loopback only with keys required, or the risk accepted. (Without
    // keys, clients off the machine are asked for one anyway: pg-server.ts.)
    if (!config.auth.required && !isLoopbackBind(host) && !config.auth.insecureOpen) {
      throw new SightlineError('SL_SERVER_OPEN_TO_NETWORK', `refusing to serve Postgres on ${host} with auth.required: false: require keys, listen on 127.0.0.1 (postgres.host), or pass --insecure-open`);
    }
    const logger = this.ctx.loggerFor('serve');
    const server = new PgServer({
      host,
      port,
      engine,
      slots: this.serve.sqlSlots,
      authenticate: (token) => this.keys.keys.authenticate(token),
      required: config.auth.required,
      localPrincipal: LOCAL_PRINCIPAL,
      ...(config.server.tls && { secureContext: tlsContextOf(config.server.tls) }),
      audit: (facts) => void this.audit.audit.record(facts).catch((err: unknown) => logger.error({ err, action: facts.action }, 'the audit entry of a Postgres statement could not be written')),
      logger,
      maxConnections,
    });
    try {
      const bound = await server.start();
      this.server = server;
      this.boundAt = `${host}:${bound.port}`;
      logger.info({ address: this.boundAt, tls: config.server.tls !== undefined }, 'Postgres wire protocol listening');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new SightlineError('SL_SERVER_ADDRESS_IN_USE', `postgres.port ${port} on ${host} is in use by another process`, { cause: err });
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  /** host:port it listens on, once started. */
  get address(): string | undefined {
    return this.boundAt;
  }

  async status(): Promise<Record<string, unknown>> {
    return this.boundAt ? { postgres: { address: this.boundAt, tls: this.ctx.config.server.tls !== undefined } } : {};
  }
}
