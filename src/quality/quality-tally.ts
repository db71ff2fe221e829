import type { SightlineEvent } from '../core/envelope.js';
import type { QualityCount } from '../core/ports/processed-batch.js';
import { subjectFor } from '../core/subject.js';
import { type CompiledRule, compileRule, type QualitySpec, ruleApplies, type UniqueValues } from './quality-rules.js';

export interface RuleFailure {
  rule: string;
  severity: 'warn' | 'error';
  message: string;
}

const NO_FAILURES: readonly RuleFailure[] = [];

const compiled = new WeakMap<QualitySpec, CompiledRule[]>();

/** The spec's rules compiled once (the spec object lives as long as the pipeline). */
export function compiledRules(spec: QualitySpec): CompiledRule[] {
  let rules = compiled.get(spec);
  if (!rules) {
    rules = spec.rules.map(compileRule);
    compiled.set(spec, rules);
  }
  return rules;
}

/**
 * Runs a batch's events through the rules and counts passes and failures per dataset
 * (`source.type`), rule and event-time bucket, for the summary and the metrics.
 */
export class QualityTally {
  private readonly counts = new Map<string, QualityCount>();
  private readonly rules: CompiledRule[];
  private readonly uniques: CompiledRule[];

  constructor(private readonly spec: QualitySpec) {
    this.rules = compiledRules(spec);
    this.uniques = this.rules.filter((r) => r.uniqueField !== undefined);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The rules the event fails; every applicable rule is counted. */
  check(event: SightlineEvent, now: number, unique: (rule: string) => UniqueValues | undefined): readonly RuleFailure[] {
    // Most events pass: no array is allocated for them.
    let failures: RuleFailure[] | undefined;
    let dataset: string | undefined;
    let bucketStart = 0;
    for (const rule of this.rules) {
      if (!ruleApplies(rule, event)) continue;
      if (dataset === undefined) {
        dataset = subjectFor(event.source, event.type);
        bucketStart = event.timestamp - (((event.timestamp % this.spec.bucketMs) + this.spec.bucketMs) % this.spec.bucketMs);
      }
      const message = rule.check(event, now, rule.uniqueField ? unique(rule.name) : undefined);
      const key = `${dataset}\n${rule.name}\n${bucketStart}`;
      let count = this.counts.get(key);
      if (!count) {
        count = { dataset, rule: rule.name, severity: rule.severity, bucketStart, bucketEnd: bucketStart + this.spec.bucketMs, passed: 0, failed: 0 };
        this.counts.set(key, count);
      }
      if (message === undefined) count.passed++;
      else {
        count.failed++;
        (failures ??= []).push({ rule: rule.name, severity: rule.severity, message });
      }
    }
    return failures ?? NO_FAILURES;
  }

  /** `unique` rules that apply to the event: their values are remembered once the event is kept. */
  uniqueRules(event: SightlineEvent): CompiledRule[] {
    return this.uniques.length === 0 ? this.uniques : this.uniques.filter((r) => ruleApplies(r, event));
  }

  results(): QualityCount[] {
    return [...this.counts.values()];
  }
}
