import { createHash } from 'node:crypto';
import type { SightlineConfig } from '../config/config.js';
import type { CommitLineage } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import { VERSION } from '../core/version.js';

/**
 * What processes a commit's events, recorded with the commit: the steps in order, each with what
 * versions it (a digest of the quality rules, the time the reference data was loaded).
 */
export function commitLineage(config: SightlineConfig, node: string, reference: ReferenceData | undefined): CommitLineage {
  const ref = reference?.info();
  return {
    node,
    version: VERSION,
    steps: [
      { step: 'dedup', window_ms: config.process.dedupWindowMs },
      { step: 'late_check', allowed_lateness_ms: config.process.allowedLatenessMs, late_events: config.process.lateEvents },
      ...(config.quality.rules.length > 0 ? [{ step: 'quality', rules: config.quality.rules.map((r) => r.name), digest: rulesDigest(config) }] : []),
      ...(ref ? [{ step: 'enrichment', reference: ref.source, loaded_at: ref.loadedAt, rows: ref.rows }] : []),
      ...(config.aggregations.length > 0 ? [{ step: 'aggregation', aggregations: config.aggregations.map((a) => a.name) }] : []),
    ],
  };
}

const digests = new WeakMap<SightlineConfig, string>();
function rulesDigest(config: SightlineConfig): string {
  let digest = digests.get(config);
  if (digest === undefined) {
    digest = createHash('sha256').update(JSON.stringify(config.quality.rules)).digest('hex').slice(0, 12);
    digests.set(config, digest);
  }
  return digest;
}
