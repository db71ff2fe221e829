import type { SightlineEvent } from '../../core/envelope.js';
import { readPath } from '../../core/envelope.js';
import type { QualityCount } from '../../core/ports/processed-batch.js';
import { type QualitySpec, type UniqueValues, uniqueKey } from '../../quality/quality-rules.js';
import { QualityTally, type RuleFailure } from '../../quality/quality-tally.js';
import type { DedupState } from './dedup.js';

/**
 * Quality: a batch's events through the rules, counted per dataset, rule and bucket. An event that
 * fails a rule of severity error is refused; failed warnings ride along in its metadata. A
 * `unique` rule sees the values within the dedup window (the pipeline state's) and those of events
 * kept earlier in the same batch; the values the batch adds are handed out to be applied.
 */
export class QualityStage {
  private readonly tally: QualityTally;
  private readonly batchUnique = new Map<string, Set<string>>();
  /** Values of `unique` rules the batch's kept events add, by rule name. */
  readonly newUniqueValues: Array<{ rule: string; value: string; timestamp: number }> = [];
  private readonly views = new Map<string, UniqueValues>();

  /** None when the spec has no rules: the batch then skips the stage. */
  static forBatch(spec: QualitySpec | undefined, unique: ReadonlyMap<string, DedupState>): QualityStage | undefined {
    return spec && spec.rules.length > 0 ? new QualityStage(spec, unique) : undefined;
  }

  private constructor(spec: QualitySpec, private readonly unique: ReadonlyMap<string, DedupState>) {
    this.tally = new QualityTally(spec);
  }

  /** The rules the event fails (every applicable rule is counted). */
  check(event: SightlineEvent, now: number): readonly RuleFailure[] {
    return this.tally.check(event, now, (rule) => this.valuesOf(rule));
  }

  /** Remembers the event's values of the `unique` rules that apply to it: it is kept. */
  keep(event: SightlineEvent): void {
    for (const rule of this.tally.uniqueRules(event)) {
      const value = uniqueKey(readPath(event, rule.uniqueField!));
      if (value === undefined) continue;
      let values = this.batchUnique.get(rule.name);
      if (!values) this.batchUnique.set(rule.name, (values = new Set()));
      values.add(value);
      this.newUniqueValues.push({ rule: rule.name, value, timestamp: event.timestamp });
    }
  }

  results(): QualityCount[] {
    return this.tally.results();
  }

  private valuesOf(rule: string): UniqueValues {
    let view = this.views.get(rule);
    if (!view) {
      view = { has: (value) => this.unique.get(rule)?.has(value) === true || this.batchUnique.get(rule)?.has(value) === true };
      this.views.set(rule, view);
    }
    return view;
  }
}

/** The message of a refused event: every rule it failed, errors and warnings. */
export function failureMessage(failures: readonly RuleFailure[]): string {
  return failures.map((f) => `${f.rule} (${f.severity}): ${f.message}`).join('; ');
}

/** The first rule of severity error the event failed, if any. */
export function firstError(failures: readonly RuleFailure[]): RuleFailure | undefined {
  for (const f of failures) if (f.severity === 'error') return f;
  return undefined;
}
