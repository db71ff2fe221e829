import { type Static, Type } from '@sinclair/typebox';
import { duration, enumOf, objectWithDefaults, positiveDuration, strictObject } from './schema-types.js';

const field = Type.String({ pattern: '^(id|source|type|timestamp|(payload|metadata)(\\.[^.]+)+)$' });

const comparison = strictObject(
  {
    field,
    op: enumOf(['==', '!=', '<', '<=', '>', '>=', 'exists', 'missing']),
    value: Type.Optional(Type.Unknown()),
    other: Type.Optional(field),
  },
  {
    not: { required: ['value', 'other'] },
    // A comparison needs something to compare with; exists and missing need nothing.
    if: { properties: { op: { enum: ['exists', 'missing'] } } },
    else: { anyOf: [{ required: ['value'] }, { required: ['other'] }] },
  },
);

const RULE_BASE = {
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' }),
  match: objectWithDefaults({ source: Type.Optional(Type.String()), type: Type.Optional(Type.String()) }),
  severity: enumOf(['warn', 'error'], { default: 'error' }),
};

/** Every parameter a check can take; which check needs which is in CHECKS. */
const PARAMETERS = {
  field,
  fields: Type.Array(field, { minItems: 1 }),
  type: enumOf(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']),
  min: Type.Number(),
  max: Type.Number(),
  pattern: Type.String(),
  values: Type.Array(Type.Unknown(), { minItems: 1 }),
  maxFuture: duration(),
  maxPast: duration(),
  when: comparison,
  assert: comparison,
};
type Parameters = typeof PARAMETERS;
type ParameterName = keyof Parameters;

interface CheckNeeds {
  /** Parameters the check cannot run without. */
  requires: readonly ParameterName[];
  /** Parameters the check reads when they are given. */
  accepts: readonly ParameterName[];
  /** Of these, at least one must be given. */
  atLeastOneOf?: readonly ParameterName[];
}

/**
 * The one table of checks: the schema's per-check `required` lists and the rule's static type are
 * both derived from it, so they cannot disagree.
 */
const CHECKS = {
  required: { requires: ['fields'], accepts: [] },
  type: { requires: ['field', 'type'], accepts: [] },
  range: { requires: ['field'], accepts: ['min', 'max'], atLeastOneOf: ['min', 'max'] },
  regex: { requires: ['field', 'pattern'], accepts: [] },
  enum: { requires: ['field', 'values'], accepts: [] },
  length: { requires: ['field'], accepts: ['min', 'max'], atLeastOneOf: ['min', 'max'] },
  timestamp: { requires: [], accepts: ['field', 'maxFuture', 'maxPast'], atLeastOneOf: ['maxFuture', 'maxPast'] },
  unique: { requires: ['field'], accepts: [] },
  condition: { requires: ['assert'], accepts: ['when'] },
} as const satisfies Record<string, CheckNeeds>;
type Checks = typeof CHECKS;
type CheckName = keyof Checks;

type RuleOfCheck<C extends CheckName> = { check: C } & { [P in Checks[C]['requires'][number]]: Static<Parameters[P]> } & {
  [P in Checks[C]['accepts'][number]]?: Static<Parameters[P]>;
};

const RULE_BASE_OBJECT = Type.Object(RULE_BASE);

/** A quality rule as validated: one variant per check, its durations as written. */
export type QualityRuleDocument = Static<typeof RULE_BASE_OBJECT> & { [C in CheckName]: RuleOfCheck<C> }[CheckName];

/**
 * A quality rule: a name, the events it applies to, a severity and one check with its parameters.
 * Parameters a check does not read are allowed (and ignored), as they always were.
 */
const QUALITY_RULE = Type.Unsafe<QualityRuleDocument>({
  type: 'object',
  additionalProperties: false,
  required: ['name', 'check'],
  properties: { ...RULE_BASE, check: { enum: Object.keys(CHECKS) }, ...PARAMETERS },
  allOf: Object.entries<CheckNeeds>(CHECKS).map(([check, needs]) => ({
    if: { properties: { check: { const: check } } },
    then: {
      required: [...needs.requires],
      ...(needs.atLeastOneOf && { anyOf: needs.atLeastOneOf.map((name) => ({ required: [name] })) }),
    },
  })),
});

export const QUALITY_SCHEMA = objectWithDefaults({
  /** Width of the event-time buckets of the quality summary (GET /v1/quality). */
  bucket: positiveDuration({ default: '5m' }),
  rules: Type.Array(QUALITY_RULE, { default: [] }),
});
export type QualityDocument = Static<typeof QUALITY_SCHEMA>;
