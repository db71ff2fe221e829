import type { ObjectStoreOptions } from '../../store-options.js';
import { resolveObjectStore } from './object-store-settings.js';

/**
 * What a reader of the tables needs to reach an object store, as Iceberg's FileIO properties
 * (pyiceberg's and Java's names): the endpoint, the region and path-style addressing. Never
 * credentials: each reader brings its own, with only the rights its role needs.
 */
export function fileIoProperties(store: ObjectStoreOptions | undefined): Record<string, string> {
  if (!store) return {};
  const { endpoint, region, pathStyle } = resolveObjectStore(store);
  return {
    ...(endpoint && { 's3.endpoint': endpoint }),
    's3.region': region,
    's3.path-style-access': String(pathStyle),
    's3.force-virtual-addressing': String(!pathStyle),
  };
}
