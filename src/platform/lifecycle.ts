import type { Logger } from 'pino';
import type { Component, StopOptions } from './component.js';

/**
 * The order a process starts its components in; it stops them in the reverse order. Each name
 * stands where it does for the reason beside it (a component a process does not run is skipped).
 */
export const START_ORDER = [
  // Last to stop: spans of the whole shutdown are exported.
  'tracing',
  // The hot store's file lock keeps a second process out of the data folder before anything
  // (such as log recovery) touches it; the stores close after everything that writes them.
  'stores',
  'log',
  // Follows its topic on the log; contracts from the config are registered before ingest takes events.
  'registry',
  // API keys and the audit log: followed before the API answers its first request.
  'keys',
  'audit',
  // Reports START once the API listens, and COMPLETE after the pipeline drained: outside of it.
  'lineage',
  // Loads, indexes and archives what processing commits: stops after processing has drained.
  'serve',
  // Stops after ingest took its last event, once everything accepted is committed.
  'process',
  // Takes events; stops taking them before processing drains.
  'ingest',
  // Deletion requests: applied once the stores, processing and ingest run; stops first, after
  // finishing the request it is applying.
  'erasures',
  // Backfills: run on the stores and processing's configuration; stop before them, after the day in hand.
  'backfills',
  // Listens once every route is registered; closes first, refusing new requests (ingest answers 503 as it closes).
  'http',
  // The Postgres port: SQL on read as the API has it, with the API's keys and certificate.
  'postgres',
  // Use the API (the probe posts events, alerts link to it): start after it, stop before it.
  'probe',
  'alerts',
] as const;

export type ComponentName = (typeof START_ORDER)[number];

/** The components of a process in start order. */
export function inStartOrder(components: Partial<Record<ComponentName, Component>>): Component[] {
  return START_ORDER.flatMap((name) => components[name] ?? []);
}

/**
 * Starts the components in order. If one fails, those already started stop again (in reverse,
 * without finishing their work: a start that failed does not wait for a backlog to drain) before
 * the start's own error is thrown, so a failed start leaves nothing running or locked.
 */
export async function startInOrder(components: readonly Component[], logger: Logger): Promise<void> {
  const started: Component[] = [];
  try {
    for (const component of components) {
      await component.start();
      started.push(component);
    }
  } catch (err) {
    await abandon(started, logger);
    throw err;
  }
}

/** After a failed start: stops what started, logging rather than throwing what fails, so the start's error is the one reported. */
export async function abandon(started: readonly Component[], logger: Logger): Promise<void> {
  await stopInReverse(started, logger, { drain: false }).catch((err) => logger.error({ err }, 'stopping after a failed start failed'));
}

/**
 * Stops the components in reverse order; one that fails to stop is logged and the rest still stop,
 * then the first failure is thrown. `drain: false` stops without finishing accepted work.
 */
export async function stopInReverse(components: readonly Component[], logger: Logger, options: StopOptions = { drain: true }): Promise<void> {
  let failure: unknown;
  for (const component of [...components].reverse()) {
    try {
      await component.stop(options);
    } catch (err) {
      logger.error({ err, component: component.name }, 'stopping a component failed');
      failure ??= err;
    }
  }
  if (failure) throw failure;
}
