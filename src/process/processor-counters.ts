import type { ComponentMetrics } from '../observe/metrics.js';
import type { PlannedBatch } from './planner.js';

export interface ProcessorCounters {
  processed: number;
  stored: number;
  duplicates: number;
  late: number;
  undecodable: number;
  enrichmentMisses: number;
  unaggregated: number;
  /** Events whose contract version is not one the pipeline accepts (contracts.acceptedVersions). */
  versionMismatches: number;
  versionMismatchesBySubjectVersion: Record<string, number>;
  /** Events refused in processing (quality errors, late or unenriched when so configured), by code. */
  deadLettered: number;
  deadLetteredByCode: Record<string, number>;
  /** Events kept with quality warnings in metadata.quality. */
  qualityWarnings: number;
  batches: number;
  commitFailures: number;
}

/** Every counter at zero: a new processor's, and the base a sum over processors starts from. */
export function emptyProcessorCounters(): ProcessorCounters {
  return {
    processed: 0,
    stored: 0,
    duplicates: 0,
    late: 0,
    undecodable: 0,
    enrichmentMisses: 0,
    unaggregated: 0,
    versionMismatches: 0,
    versionMismatchesBySubjectVersion: {},
    deadLettered: 0,
    deadLetteredByCode: {},
    qualityWarnings: 0,
    batches: 0,
    commitFailures: 0,
  };
}

/** Adds `from` into `into`, counter by counter (the counts by code or version too). */
export function addCounters(into: ProcessorCounters, from: ProcessorCounters): void {
  for (const key of Object.keys(into) as Array<keyof ProcessorCounters>) {
    const value = from[key];
    if (typeof value === 'number') (into[key] as number) += value;
    else {
      const target = into[key] as Record<string, number>;
      for (const [k, n] of Object.entries(value)) target[k] = (target[k] ?? 0) + n;
    }
  }
}

/** Adds a committed plan's counts. */
export function countPlan(c: ProcessorCounters, plan: PlannedBatch): void {
  c.processed += plan.records;
  c.stored += plan.rows.count;
  c.duplicates += plan.duplicates;
  c.late += plan.late;
  c.undecodable += plan.undecodable;
  c.enrichmentMisses += plan.enrichmentMisses;
  c.unaggregated += plan.unaggregated;
  for (const [key, n] of Object.entries(plan.versionMismatches)) {
    c.versionMismatches += n;
    c.versionMismatchesBySubjectVersion[key] = (c.versionMismatchesBySubjectVersion[key] ?? 0) + n;
  }
  for (const letter of plan.deadLetters) countDeadLetter(c, letter.reason.code);
  c.qualityWarnings += plan.flagged;
  c.batches++;
}

export function countDeadLetter(c: ProcessorCounters, code: string): void {
  c.deadLettered++;
  c.deadLetteredByCode[code] = (c.deadLetteredByCode[code] ?? 0) + 1;
}

/** A committed plan in the `process` component's base metrics: records in, rows out, discards by reason. */
export function reportPlan(m: ComponentMetrics, plan: PlannedBatch): void {
  m.received(plan.records);
  m.sent(plan.rows.count, plan.rows.ndjson.length);
  if (plan.duplicates > 0) m.discarded('duplicate', plan.duplicates);
  if (plan.undecodable > 0) m.discarded('undecodable', plan.undecodable);
  const byCode = new Map<string, number>();
  for (const letter of plan.deadLetters) byCode.set(letter.reason.code, (byCode.get(letter.reason.code) ?? 0) + 1);
  for (const [code, n] of byCode) m.discarded(code, n);
}
