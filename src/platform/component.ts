import type { FastifyInstance } from 'fastify';
import { SightlineError } from '../core/errors.js';

/**
 * A part of the platform with a life of its own: the three roles (ingest, process, serve) and what
 * every node runs beside them (the log, the registry, the API, telemetry). The platform starts
 * them in the order of lifecycle.ts and stops them in the reverse order.
 */
export interface Component {
  readonly name: string;
  /** Starts; a start that fails part way undoes what it did before it throws. */
  start(): Promise<void>;
  /** Stops; with `drain` (a clean stop), after finishing the work it accepted. */
  stop(options: StopOptions): Promise<void>;
  /** Registers its routes on the API before the API listens. */
  routes?(app: FastifyInstance): Promise<void>;
  /** Its keys of the /v1/status document. */
  status?(): Promise<Record<string, unknown>>;
  /** Why it cannot do its job now (readiness); none when it can. */
  unready?(): Promise<string[]>;
  /**
   * Why the process can take no more writes until something outside it changes (a full disk):
   * liveness, which /healthz reports. A subset of `unready`; none when it can.
   */
  failing?(): Promise<string[]>;
  /** Called once the API listens, with the URL it answers at. */
  listening?(url: string): Promise<void>;
}

export interface StopOptions {
  /** Finish accepted work first (a clean stop), or not (after a failed start). */
  drain: boolean;
}

/**
 * Runs every step even when one fails, then throws the first failure: a stop must release what it
 * can. Steps run in the order given.
 */
export async function allSteps(steps: ReadonlyArray<() => Promise<unknown> | unknown>): Promise<void> {
  let failure: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure) throw failure;
}

/** Runs a component's start; one that fails part way stops the component again (without draining) before the error is thrown. */
export async function startOrUndo(component: Component, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (err) {
    await component.stop({ drain: false }).catch(() => undefined);
    throw err;
  }
}

/** A component's part was asked for before the component started: a wiring bug. */
export function notStarted(what: string): SightlineError {
  return new SightlineError('SL_API_INTERNAL', `${what} used before it started`);
}
