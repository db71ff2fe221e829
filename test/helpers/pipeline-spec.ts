import { buildConfig } from '../../src/config/config.js';
import type { PipelineSpec } from '../../src/process/batch-plan.js';

/**
 * The pipeline of the planner's unit tests: a 5-minute dedup window, a minute of allowed lateness,
 * and page-views (every source's page_view, per page, in 1m and 5m windows); `extra` adds to it.
 */
export function testSpec(extra: Partial<PipelineSpec> = {}): PipelineSpec {
  return { name: 'main', dedupWindowMs: 300_000, allowedLatenessMs: 60_000, watermarkDelayMs: 5_000, idleTimeoutMs: 60_000, aggregations: buildConfig({}).aggregations, ...extra };
}
