import { isPlainObject, readPath, type SightlineEvent } from '../core/envelope.js';
import { linearRegExp } from '../core/linear-regexp.js';

export type QualitySeverity = 'warn' | 'error';
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'exists' | 'missing';

/** One side of a condition: a field compared with a constant (`value`) or with another field (`other`). */
export interface Comparison {
  field: string;
  op: ComparisonOp;
  value?: unknown;
  other?: string;
}

/** A quality rule as written in the config (durations already in ms). */
export type QualityRuleConfig = {
  name: string;
  match: { source?: string; type?: string };
  severity: QualitySeverity;
} & (
  | { check: 'required'; fields: string[] }
  | { check: 'type'; field: string; type: FieldType }
  | { check: 'range'; field: string; min?: number; max?: number }
  | { check: 'regex'; field: string; pattern: string }
  | { check: 'enum'; field: string; values: unknown[] }
  | { check: 'length'; field: string; min?: number; max?: number }
  | { check: 'timestamp'; field?: string; maxFutureMs?: number; maxPastMs?: number }
  | { check: 'unique'; field: string }
  | { check: 'condition'; when?: Comparison; assert: Comparison }
);

export interface QualitySpec {
  /** Width of the summary's event-time buckets. */
  bucketMs: number;
  rules: QualityRuleConfig[];
}

/** Values of a `unique` rule seen within the dedup window, by the rule's name. */
export interface UniqueValues {
  has(value: string): boolean;
}

/** A rule ready to run: `check` returns why the event fails it, or undefined when it passes. */
export interface CompiledRule {
  name: string;
  severity: QualitySeverity;
  match: { source?: string; type?: string };
  /** For `unique` rules: the field whose values must not repeat; the caller keeps the values. */
  uniqueField?: string[];
  check(event: SightlineEvent, now: number, unique?: UniqueValues): string | undefined;
}

const path = (dotted: string): string[] => dotted.split('.');

/** A field read from the event; `timestamp`, `id`, `source` and `type` are envelope fields. */
function reader(dotted: string): (event: SightlineEvent) => unknown {
  const steps = path(dotted);
  return (event) => readPath(event, steps);
}

function typeOf(value: unknown): FieldType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (isPlainObject(value)) return 'object';
  return typeof value as FieldType;
}

function show(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Epoch ms from a number (ms) or an ISO 8601 string; NaN when it is neither. */
function toMillis(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

function compare(left: unknown, op: ComparisonOp, right: unknown): boolean {
  switch (op) {
    case 'exists':
      return left !== undefined && left !== null;
    case 'missing':
      return left === undefined || left === null;
    case '==':
      return left === right || (left !== undefined && JSON.stringify(left) === JSON.stringify(right));
    case '!=':
      return !compare(left, '==', right);
    default: {
      // Ordering only between two numbers or two strings: anything else fails the comparison.
      const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
      if (!comparable) return false;
      const l = left as number | string;
      const r = right as number | string;
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
  }
}

function comparison(c: Comparison): { test: (event: SightlineEvent) => boolean; describe: (event: SightlineEvent) => string } {
  const left = reader(c.field);
  const right = c.other !== undefined ? reader(c.other) : () => c.value;
  const rightName = c.other ?? show(c.value);
  return {
    test: (event) => compare(left(event), c.op, right(event)),
    describe: (event) =>
      c.op === 'exists' || c.op === 'missing'
        ? `${c.field} ${c.op === 'exists' ? 'is missing' : `is ${show(left(event))}`}`
        : `${c.field} (${show(left(event))}) ${c.op} ${rightName}${c.other !== undefined ? ` (${show(right(event))})` : ''} does not hold`,
  };
}

/**
 * Turns configured rules into checks. A field that is absent passes every check but `required`
 * and `condition` (as in Great Expectations and Soda, where missing values are their own check):
 * a rule on a field's range does not also say the field must be there.
 */
export function compileRule(rule: QualityRuleConfig): CompiledRule {
  const base = { name: rule.name, severity: rule.severity, match: rule.match };
  switch (rule.check) {
    case 'required': {
      const fields = rule.fields.map((f) => ({ name: f, read: reader(f) }));
      return {
        ...base,
        check: (event) => {
          const missing = fields.filter((f) => {
            const v = f.read(event);
            return v === undefined || v === null;
          });
          return missing.length === 0 ? undefined : `required ${missing.map((f) => f.name).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`;
        },
      };
    }
    case 'type':
      // null is a value with a type here, and a possible enum member below.
      return present(base, rule.field, { nullIsAbsent: false }, (v) => {
        const actual = typeOf(v);
        const ok = actual === rule.type || (rule.type === 'number' && actual === 'integer');
        return ok ? undefined : `${rule.field} must be ${rule.type}, is ${actual}`;
      });
    case 'range':
      return present(base, rule.field, { nullIsAbsent: true }, (v) =>
        typeof v === 'number' ? outside(`${rule.field} ${v} is`, v, rule) : `${rule.field} must be a number for a range check, is ${typeOf(v)}`,
      );
    case 'regex': {
      const regex = linearRegExp(rule.pattern);
      return present(base, rule.field, { nullIsAbsent: true }, (v) => {
        if (typeof v !== 'string') return `${rule.field} must be a string to match ${rule.pattern}, is ${typeOf(v)}`;
        return regex.test(v) ? undefined : `${rule.field} ${show(v)} does not match ${rule.pattern}`;
      });
    }
    case 'enum': {
      const allowed = new Set(rule.values.map((v) => JSON.stringify(v)));
      return present(base, rule.field, { nullIsAbsent: false }, (v) =>
        allowed.has(JSON.stringify(v)) ? undefined : `${rule.field} ${show(v)} is not one of ${rule.values.map(show).join(', ')}`,
      );
    }
    case 'length':
      return present(base, rule.field, { nullIsAbsent: true }, (v) => {
        // Characters (code points), not UTF-16 units or bytes: what a person counts.
        const length = typeof v === 'string' ? [...v].length : Array.isArray(v) ? v.length : undefined;
        if (length === undefined) return `${rule.field} must be a string or an array for a length check, is ${typeOf(v)}`;
        return outside(`${rule.field} has length ${length},`, length, rule);
      });
    case 'timestamp': {
      const field = rule.field ?? 'timestamp';
      const read = reader(field);
      return {
        ...base,
        check: (event, now) => {
          const raw = read(event);
          if (raw === undefined || raw === null) return undefined;
          const t = toMillis(raw);
          if (Number.isNaN(t)) return `${field} ${show(raw)} is not a time (epoch ms or ISO 8601)`;
          if (rule.maxFutureMs !== undefined && t > now + rule.maxFutureMs) return `${field} ${new Date(t).toISOString()} is more than ${rule.maxFutureMs} ms in the future`;
          if (rule.maxPastMs !== undefined && t < now - rule.maxPastMs) return `${field} ${new Date(t).toISOString()} is more than ${rule.maxPastMs} ms in the past`;
          return undefined;
        },
      };
    }
    case 'unique': {
      const steps = path(rule.field);
      return {
        ...base,
        uniqueField: steps,
        check: (event, _now, unique) => {
          const key = uniqueKey(readPath(event, steps));
          if (key === undefined || !unique?.has(key)) return undefined;
          return `${rule.field} ${show(readPath(event, steps))} was already seen within the dedup window`;
        },
      };
    }
    case 'condition': {
      const when = rule.when ? comparison(rule.when) : undefined;
      const assertion = comparison(rule.assert);
      return {
        ...base,
        check: (event) => (when && !when.test(event)) || assertion.test(event) ? undefined : assertion.describe(event),
      };
    }
  }
}

/** A check of a field's value that an absent field (and, if so told, a null one) passes. */
function present(
  base: Omit<CompiledRule, 'check'>,
  field: string,
  options: { nullIsAbsent: boolean },
  test: (value: unknown) => string | undefined,
): CompiledRule {
  const read = reader(field);
  return {
    ...base,
    check: (event) => {
      const v = read(event);
      if (v === undefined || (options.nullIsAbsent && v === null)) return undefined;
      return test(v);
    },
  };
}

/** Why `n` lies outside [min, max] (inclusive), or undefined. */
function outside(subject: string, n: number, bounds: { min?: number; max?: number }): string | undefined {
  if (bounds.min !== undefined && n < bounds.min) return `${subject} below the minimum ${bounds.min}`;
  if (bounds.max !== undefined && n > bounds.max) return `${subject} above the maximum ${bounds.max}`;
  return undefined;
}

/**
 * How a value of a `unique` field is kept: a string as itself, anything else as its JSON, as
 * `json_extract_string` gives it back after a restart (so 1 and "1" are the same value here).
 */
export function uniqueKey(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function ruleApplies(rule: CompiledRule, event: SightlineEvent): boolean {
  return (rule.match.source === undefined || rule.match.source === event.source) && (rule.match.type === undefined || rule.match.type === event.type);
}
