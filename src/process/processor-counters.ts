import type { ComponentMetrics } from '../observe/metrics.js';
import type { PlannedBatch } from './planner.js';

export type { ProcessorCounters } from '../core/processor-counters.js';
import type { ProcessorCounters } from '../core/processor-counters.js';
import type { PipelineCheckpoint } from '../core/ports/processed-batch.js';

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

/** A deep copy, for totals handed out with a batch while the processor counts on. */
export function cloneCounters(c: ProcessorCounters): ProcessorCounters {
  return { ...c, versionMismatchesBySubjectVersion: { ...c.versionMismatchesBySubjectVersion }, deadLetteredByCode: { ...c.deadLetteredByCode } };
}

/**
 * The totals a checkpoint kept: they survive restarts exactly, committed with each batch. A
 * checkpoint from before it kept them has duplicates and late only. Commit failures are this
 * process's own and start at zero.
 */
export function countersOf(checkpoint: PipelineCheckpoint): ProcessorCounters {
  const base = emptyProcessorCounters();
  const kept = checkpoint.counters ? cloneCounters({ ...base, ...checkpoint.counters }) : { ...base, duplicates: checkpoint.duplicates, late: checkpoint.late };
  return { ...kept, commitFailures: 0 };
}
