import type { Logger } from 'pino';
import type { LineageSink } from '../core/ports/lineage-sink.js';
import type { ComponentMetrics } from '../observe/metrics.js';
import type { LineageOptions } from './lineage-options.js';
import { FileLineageSink } from './sinks/file-lineage-sink.js';
import { HttpLineageSink } from './sinks/http-lineage-sink.js';

/** The sinks the `lineage` config section asks for: none, HTTP, file, or both. */
export function createLineageSinks(config: LineageOptions, logger: Logger, metrics?: ComponentMetrics): LineageSink[] {
  const sinks: LineageSink[] = [];
  const common = { maxQueue: config.maxQueue, logger, ...(metrics && { metrics }) };
  if (config.http) sinks.push(new HttpLineageSink({ ...config.http, ...common }));
  if (config.file) sinks.push(new FileLineageSink({ path: config.file, ...common }));
  return sinks;
}
