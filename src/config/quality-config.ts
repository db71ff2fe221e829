import { parseDuration } from '../core/duration.js';
import { SightlineError } from '../core/errors.js';
import type { QualityRuleConfig, QualitySpec } from '../quality/quality-rules.js';
import type { QualityDocument, QualityRuleDocument } from './quality-schema.js';
import { linearRegExp } from '../core/linear-regexp.js';

/** The `quality` section as quality's spec: rules checked beyond what a schema can say, durations in ms. */
export function resolveQualitySpec(raw: QualityDocument): QualitySpec {
  const names = new Set<string>();
  return {
    bucketMs: parseDuration(raw.bucket),
    rules: raw.rules.map((rule) => {
      if (names.has(rule.name)) throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${rule.name}" is declared twice`);
      names.add(rule.name);
      checkRule(rule);
      return resolveRule(rule);
    }),
  };
}

function checkRule(rule: QualityRuleDocument): void {
  if ((rule.check === 'range' || rule.check === 'length') && rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
    throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${rule.name}": min (${rule.min}) is above max (${rule.max})`);
  }
  if (rule.check === 'regex') {
    try {
      linearRegExp(rule.pattern);
    } catch (err) {
      throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${rule.name}": ${(err as Error).message}`);
    }
  }
}

/** Only the timestamp check has durations; every other rule is already in its final form. */
function resolveRule(rule: QualityRuleDocument): QualityRuleConfig {
  if (rule.check !== 'timestamp') return rule;
  const { maxFuture, maxPast, ...rest } = rule;
  return {
    ...rest,
    ...(maxFuture !== undefined && { maxFutureMs: parseDuration(maxFuture) }),
    ...(maxPast !== undefined && { maxPastMs: parseDuration(maxPast) }),
  };
}
