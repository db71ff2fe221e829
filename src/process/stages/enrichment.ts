import { readPath, type SightlineEvent } from '../../core/envelope.js';
import type { ReferenceData } from '../../core/ports/reference-data.js';
import type { RuleFailure } from '../../quality/quality-tally.js';
import { hasOwnKeys, wellFormedJson } from '../well-formed-json.js';

/** Enrichment: the reference data's row for the event's join key, if it has one. */
export function profileOf(event: SightlineEvent, joinOn: readonly string[], reference: ReferenceData): Record<string, unknown> | undefined {
  const key = readPath(event, joinOn);
  return typeof key === 'string' || typeof key === 'number' ? reference.lookup(String(key)) : undefined;
}

/** Why an event has no profile. */
export function missMessage(event: SightlineEvent, joinOn: readonly string[]): string {
  return `the reference data has no row for ${joinOn.join('.')} = ${JSON.stringify(readPath(event, joinOn)) ?? 'undefined'}`;
}

/**
 * The metadata to store instead of the event's own, as JSON, or null to keep the event's: the
 * profile under `enrichment`, quality warnings under `quality`.
 */
export function storedMetadata(event: SightlineEvent, warnings: readonly RuleFailure[] | undefined, profile: Record<string, unknown> | undefined): string | null {
  if (warnings) {
    const flagged = { ...event.metadata, quality: { warnings: warnings.map((w) => ({ rule: w.rule, message: w.message })) } };
    return profile ? enrichedMetadata(flagged, profile) : wellFormedJson(flagged);
  }
  return profile ? enrichedMetadata(event.metadata, profile) : null;
}

/** A profile's JSON, kept per profile object: a reload replaces the objects, so it never goes stale. */
const profileJson = new WeakMap<Record<string, unknown>, string>();

/**
 * The event's metadata with the profile under `enrichment`, replacing whatever the producer put
 * there. Most events carry no metadata of their own, and their result is built from the profile's
 * JSON serialised once, not per event.
 */
function enrichedMetadata(metadata: Record<string, unknown>, profile: Record<string, unknown>): string {
  let json = profileJson.get(profile);
  if (json === undefined) {
    json = wellFormedJson(profile);
    profileJson.set(profile, json);
  }
  if (!hasOwnKeys(metadata)) return `{"enrichment":${json}}`;
  // Ingest stamps metadata.contract, so most enriched events have some: serialise the rest as it
  // is and append the profile's cached JSON. Only an escaped \u (a possible lone surrogate, from
  // records written before ingest refused them) takes the slow, repairing path.
  const { enrichment: _replaced, ...rest } = metadata;
  if (!hasOwnKeys(rest)) return `{"enrichment":${json}}`;
  const restJson = JSON.stringify(rest);
  if (restJson.includes('\\u')) return wellFormedJson({ ...rest, enrichment: profile });
  return `${restJson.slice(0, -1)},"enrichment":${json}}`;
}
