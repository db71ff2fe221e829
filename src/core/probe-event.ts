/**
 * The synthetic probe's events: their own stream (`sightline/probe`), which travels the whole path
 * to measure freshness but is never counted in user windows, datasets, lineage or cold tables.
 */
export const PROBE_SOURCE = 'sightline';
export const PROBE_TYPE = 'probe';

/** The contract of probe events, kept out of the registry's subjects. */
export const PROBE_SCHEMA = JSON.stringify({
  title: 'Sightline synthetic probe',
  type: 'object',
  properties: { sent_at: { type: 'integer' } },
  required: ['sent_at'],
});

export function isProbeEvent(source: unknown, type: unknown): boolean {
  return source === PROBE_SOURCE && type === PROBE_TYPE;
}

/** SQL over a table with source and type columns: the rows that are not the probe's. */
export const NOT_PROBE_SQL = `NOT (source = '${PROBE_SOURCE}' AND type = '${PROBE_TYPE}')`;
