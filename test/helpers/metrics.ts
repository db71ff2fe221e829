import assert from 'node:assert/strict';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels`. */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

export const BASE_SET = [
  'sightline_events_received_total',
  'sightline_events_sent_total',
  'sightline_received_bytes_total',
  'sightline_sent_bytes_total',
  'sightline_errors_total',
  'sightline_events_discarded_total',
  'sightline_operation_duration_seconds',
] as const;

/**
 * The one check of the component spec (docs/metrics.md): every family of the base set is
 * exposed for `component`, and it saw traffic (events came in and went out). Errors and
 * discards exist as families; a component may have none of them yet.
 */
export function assertComponentBaseSet(exposition: string, component: string): void {
  const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  for (const family of BASE_SET) {
    assert.equal(types.get(family), family.endsWith('_seconds') ? 'histogram' : 'counter', `${family} is exposed with its type`);
  }
  const samples = parseExposition(exposition);
  assert.ok(metricValue(samples, 'sightline_events_received_total', { component }) > 0, `${component} received events`);
  assert.ok(metricValue(samples, 'sightline_events_sent_total', { component }) > 0, `${component} sent events`);
  assert.ok(metricValue(samples, 'sightline_operation_duration_seconds_count', { component }) > 0, `${component} timed an operation`);
}
