import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { SightlineConfig } from '../config/config.js';
import { componentLogger } from '../observe/logging.js';
import type { Metrics } from '../observe/metrics.js';
import type { Tracing } from '../observe/tracing.js';
import type { Role } from './roles.js';

/** What every component of a process shares: its configuration, roles, logs, metrics and tracer. */
export interface PlatformContext {
  readonly config: SightlineConfig;
  readonly roles: ReadonlySet<Role>;
  readonly logger: Logger;
  readonly tracing: Tracing;
  readonly metrics: Metrics;
  /** This machine's name, in lineage and commit records. */
  readonly node: string;
  /** The time the lifecycle jobs judge ages by: the wall clock, or a test's. */
  readonly clock?: () => number;
  /** A component's logger, at its configured level. */
  loggerFor(component: string): Logger;
}

export function platformContext(parts: Omit<PlatformContext, 'node' | 'loggerFor'> & { clock?: (() => number) | undefined }): PlatformContext {
  return {
    ...parts,
    node: NODE,
    loggerFor: (component) => componentLogger(parts.logger, component, parts.config.logLevels),
  };
}

/** This machine's name. */
export const NODE = hostname();

/**
 * This process as a node that applies requests to its own stores (deletions, backfills): a data
 * folder, not a machine, since two serving processes on one host each hold their own stores.
 */
export function storeNode(ctx: PlatformContext): string {
  return `${ctx.node}/${createHash('sha256').update(resolve(ctx.config.dataDir)).digest('hex').slice(0, 8)}`;
}
