import type { SightlineEvent } from '../core/envelope.js';
import type { QualityCount } from '../core/ports/hot-store.js';
import { subjectFor } from '../contracts/subject.js';
import { type CompiledRule, compileRule, type QualitySpec, ruleApplies, type UniqueValues } from './quality-rules.js';

export interface RuleFailure {
  rule: string;
  severity: 'warn' | 'error';
  message: string;
}

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

  constructor(private readonly spec: QualitySpec) {
    this.rules = compiledRules(spec);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The rules the event fails; every applicable rule is counted. */
  check(event: SightlineEvent, now: number, unique: (rule: string) => UniqueValues | undefined): RuleFailure[] {
    const failures: RuleFailure[] = [];
    let dataset: string | undefined;
    const bucketStart = event.timestamp - (((event.timestamp % this.spec.bucketMs) + this.spec.bucketMs) % this.spec.bucketMs);
    for (const rule of this.rules) {
      if (!ruleApplies(rule, event)) continue;
      dataset ??= subjectFor(event.source, event.type);
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
        failures.push({ rule: rule.name, severity: rule.severity, message });
      }
    }
    return failures;
  }

  /** `unique` rules that apply to the event: their values are remembered once the event is kept. */
  uniqueRules(event: SightlineEvent): CompiledRule[] {
    return this.rules.filter((r) => r.uniqueField !== undefined && ruleApplies(r, event));
  }

  results(): QualityCount[] {
    return [...this.counts.values()];
  }
}
