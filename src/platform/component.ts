import type { FastifyInstance } from 'fastify';
import { SightlineError } from '../core/errors.js';

/**
 * A part of the platform with a life of its own: the three roles (ingest, process, serve) and what
 * every node runs beside them (the log, the registry, the API, telemetry). The platform starts
 * them in the order of lifecycle.ts and stops them in the reverse order.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Registers its routes on the API before the API listens. */
  routes?(app: FastifyInstance): Promise<void>;
  /** Its keys of the /v1/status document. */
  status?(): Promise<Record<string, unknown>>;
  /** Why it cannot do its job now (readiness); none when it can. */
  unready?(): Promise<string[]>;
  /** Called once the API listens, with the URL it answers at. */
  listening?(url: string): Promise<void>;
}

/** A component's part was asked for before the component started: a wiring bug. */
export function notStarted(what: string): SightlineError {
  return new SightlineError('SL_API_INTERNAL', `${what} used before it started`);
}
