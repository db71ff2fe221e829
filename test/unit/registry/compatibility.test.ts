import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompatibilityLevel } from '../../../src/core/ports/schema-store.js';
import { checkCompatibility } from '../../../src/registry/compat/levels.js';
import { AvroSchema } from '../../../src/registry/types/avro-schema.js';
import { JsonSchema } from '../../../src/registry/types/json-schema.js';

const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'record', name: 'T', fields, ...extra });
const f = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
const enumT = (symbols: string[], extra: Record<string, unknown> = {}) => ({ type: 'enum', name: 'E', symbols, ...extra });

interface Case {
  name: string;
  old: string;
  new: string;
  level: CompatibilityLevel;
  ok: boolean;
  /** errorType@path of the first problem, when not ok. */
  first?: string;
}

/** Cases from Avro's specification and Java SchemaCompatibility, as Confluent reports them. */
const AVRO: Case[] = [
  { name: 'field added with a default', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'string', { default: '' })]), level: 'BACKWARD', ok: true },
  { name: 'field added without a default', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'string')]), level: 'BACKWARD', ok: false, first: 'READER_FIELD_MISSING_DEFAULT_VALUE@/fields/1' },
  { name: 'field added without a default, forward', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'string')]), level: 'FORWARD', ok: true },
  { name: 'field removed, forward', old: rec([f('a', 'int'), f('b', 'string')]), new: rec([f('a', 'int')]), level: 'FORWARD', ok: false, first: 'READER_FIELD_MISSING_DEFAULT_VALUE@/fields/1' },
  { name: 'field removed, backward', old: rec([f('a', 'int'), f('b', 'string')]), new: rec([f('a', 'int')]), level: 'BACKWARD', ok: true },
  { name: 'optional field removed, full', old: rec([f('a', 'int'), f('b', 'string', { default: 'x' })]), new: rec([f('a', 'int')]), level: 'FULL', ok: true },
  { name: 'int promoted to long', old: rec([f('a', 'int')]), new: rec([f('a', 'long')]), level: 'BACKWARD', ok: true },
  { name: 'int promoted to long, forward', old: rec([f('a', 'int')]), new: rec([f('a', 'long')]), level: 'FORWARD', ok: false, first: 'TYPE_MISMATCH@/fields/0/type' },
  { name: 'string and bytes both ways', old: rec([f('a', 'string')]), new: rec([f('a', 'bytes')]), level: 'FULL', ok: true },
  { name: 'float to double, full', old: rec([f('a', 'float')]), new: rec([f('a', 'double')]), level: 'FULL', ok: false, first: 'TYPE_MISMATCH@/fields/0/type' },
  { name: 'enum symbol added', old: rec([f('e', enumT(['A', 'B']))]), new: rec([f('e', enumT(['A', 'B', 'C']))]), level: 'BACKWARD', ok: true },
  { name: 'enum symbol added, forward', old: rec([f('e', enumT(['A', 'B']))]), new: rec([f('e', enumT(['A', 'B', 'C']))]), level: 'FORWARD', ok: false, first: 'MISSING_ENUM_SYMBOLS@/fields/0/type/symbols' },
  { name: 'enum default absorbs a new symbol', old: rec([f('e', enumT(['A', 'B'], { default: 'A' }))]), new: rec([f('e', enumT(['A', 'B', 'C'], { default: 'A' }))]), level: 'FORWARD', ok: true },
  { name: 'enum symbol removed', old: rec([f('e', enumT(['A', 'B', 'C']))]), new: rec([f('e', enumT(['A', 'B']))]), level: 'BACKWARD', ok: false, first: 'MISSING_ENUM_SYMBOLS@/fields/0/type/symbols' },
  { name: 'field made nullable', old: rec([f('a', 'string')]), new: rec([f('a', ['null', 'string'], { default: null })]), level: 'BACKWARD', ok: true },
  { name: 'field made nullable, forward', old: rec([f('a', 'string')]), new: rec([f('a', ['null', 'string'], { default: null })]), level: 'FORWARD', ok: false, first: 'TYPE_MISMATCH@/fields/0/type/0' },
  { name: 'union branch removed', old: rec([f('a', ['null', 'string', 'int'])]), new: rec([f('a', ['null', 'string'])]), level: 'BACKWARD', ok: false, first: 'MISSING_UNION_BRANCH@/fields/0/type/2' },
  { name: 'union branch added', old: rec([f('a', ['null', 'string'])]), new: rec([f('a', ['null', 'string', 'int'])]), level: 'BACKWARD', ok: true },
  { name: 'record renamed', old: JSON.stringify({ type: 'record', name: 'User', namespace: 'com.a', fields: [f('a', 'int')] }), new: JSON.stringify({ type: 'record', name: 'Customer', fields: [f('a', 'int')] }), level: 'BACKWARD', ok: false, first: 'NAME_MISMATCH@/name' },
  { name: 'record renamed with an alias', old: JSON.stringify({ type: 'record', name: 'User', namespace: 'com.a', fields: [f('a', 'int')] }), new: JSON.stringify({ type: 'record', name: 'Customer', aliases: ['com.a.User'], fields: [f('a', 'int')] }), level: 'BACKWARD', ok: true },
  { name: 'field renamed with an alias', old: rec([f('fullname', 'string')]), new: rec([f('name', 'string', { aliases: ['fullname'] })]), level: 'BACKWARD', ok: true },
  { name: 'field renamed with an alias, forward', old: rec([f('fullname', 'string')]), new: rec([f('name', 'string', { aliases: ['fullname'] })]), level: 'FORWARD', ok: false, first: 'READER_FIELD_MISSING_DEFAULT_VALUE@/fields/0' },
  { name: 'fixed size changed', old: JSON.stringify({ type: 'fixed', name: 'F', size: 16 }), new: JSON.stringify({ type: 'fixed', name: 'F', size: 32 }), level: 'BACKWARD', ok: false, first: 'FIXED_SIZE_MISMATCH@/size' },
  { name: 'array items promoted, forward', old: rec([f('xs', { type: 'array', items: 'int' })]), new: rec([f('xs', { type: 'array', items: 'long' })]), level: 'FORWARD', ok: false, first: 'TYPE_MISMATCH@/fields/0/type/items' },
  { name: 'anything goes under NONE', old: rec([f('a', 'int')]), new: rec([f('a', 'string')]), level: 'NONE', ok: true },
  { name: 'recursive record unchanged', old: JSON.stringify({ type: 'record', name: 'Node', fields: [f('next', ['null', 'Node'])] }), new: JSON.stringify({ type: 'record', name: 'Node', fields: [f('next', ['null', 'Node'])] }), level: 'FULL', ok: true },
];

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'object', properties, ...extra });
const closed = { additionalProperties: false };
const str = { type: 'string' };

/** Cases from Confluent's diff-schema-examples.json and its documented content-model rules. */
const JSON_CASES: Case[] = [
  { name: 'optional property added to an open model', old: obj({ a: str }), new: obj({ a: str, b: { type: 'number' } }), level: 'BACKWARD', ok: false, first: 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL@#/properties/b' },
  { name: 'optional property added to an open model, forward', old: obj({ a: str }), new: obj({ a: str, b: { type: 'number' } }), level: 'FORWARD', ok: true },
  { name: 'optional property added to a closed model', old: obj({ a: str }, closed), new: obj({ a: str, b: { type: 'number' } }, closed), level: 'BACKWARD', ok: true },
  { name: 'optional property added to a closed model, full', old: obj({ a: str }, closed), new: obj({ a: str, b: { type: 'number' } }, closed), level: 'FULL', ok: false, first: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL@#/properties/b' },
  { name: 'required property added to a closed model', old: obj({ a: str }, closed), new: obj({ a: str, b: str }, { ...closed, required: ['b'] }), level: 'BACKWARD', ok: false, first: 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL@#/properties/b' },
  { name: 'required property with a default added to a closed model', old: obj({ a: str }, closed), new: obj({ a: str, b: { type: 'string', default: 'x' } }, { ...closed, required: ['b'] }), level: 'BACKWARD', ok: true },
  { name: 'property removed from an open model', old: obj({ a: str, b: str }), new: obj({ a: str }), level: 'BACKWARD', ok: true },
  { name: 'property removed from a closed model', old: obj({ a: str, b: str }, closed), new: obj({ a: str }, closed), level: 'BACKWARD', ok: false, first: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL@#/properties/b' },
  { name: 'removed property covered by the partial model', old: obj({ foo: str, bar: str }, closed), new: obj({ foo: str }, { additionalProperties: str }), level: 'BACKWARD', ok: true },
  { name: 'added property not covered by the partial model', old: obj({ foo: str }, { additionalProperties: str }), new: obj({ foo: str, bar: { type: 'number' } }, { additionalProperties: str }), level: 'BACKWARD', ok: false, first: 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL@#/properties/bar' },
  { name: 'added property covered by the partial model, full', old: obj({ foo: str }, { additionalProperties: str }), new: obj({ foo: str, bar: str }, { additionalProperties: str }), level: 'FULL', ok: true },
  { name: 'property made required', old: obj({ a: str }), new: obj({ a: str }, { required: ['a'] }), level: 'BACKWARD', ok: false, first: 'REQUIRED_ATTRIBUTE_ADDED@#/required/a' },
  { name: 'property made required with a default', old: obj({ a: str }), new: obj({ a: { type: 'string', default: '' } }, { required: ['a'] }), level: 'BACKWARD', ok: true },
  { name: 'requirement dropped, forward', old: obj({ a: str }, { required: ['a'] }), new: obj({ a: str }), level: 'FORWARD', ok: false, first: 'REQUIRED_ATTRIBUTE_ADDED@#/required/a' },
  { name: 'integer widened to number', old: obj({ a: { type: 'integer' } }), new: obj({ a: { type: 'number' } }), level: 'BACKWARD', ok: true },
  { name: 'integer widened to number, forward', old: obj({ a: { type: 'integer' } }), new: obj({ a: { type: 'number' } }), level: 'FORWARD', ok: false, first: 'TYPE_NARROWED@#/properties/a' },
  { name: 'type changed', old: obj({ a: str }), new: obj({ a: { type: 'number' } }), level: 'BACKWARD', ok: false, first: 'TYPE_CHANGED@#/properties/a' },
  { name: 'type made nullable', old: obj({ a: str }), new: obj({ a: { type: ['string', 'null'] } }), level: 'BACKWARD', ok: true },
  { name: 'type made nullable, forward', old: obj({ a: str }), new: obj({ a: { type: ['string', 'null'] } }), level: 'FORWARD', ok: false, first: 'TYPE_CHANGED@#/properties/a' },
  { name: 'oneOf branch removed', old: obj({ a: { oneOf: [str, { type: 'number' }] } }), new: obj({ a: { oneOf: [str] } }), level: 'BACKWARD', ok: false },
  { name: 'enum extended', old: obj({ c: { enum: ['r', 'g'] } }), new: obj({ c: { enum: ['r', 'g', 'b'] } }), level: 'BACKWARD', ok: true },
  { name: 'enum extended, forward', old: obj({ c: { enum: ['r', 'g'] } }), new: obj({ c: { enum: ['r', 'g', 'b'] } }), level: 'FORWARD', ok: false, first: 'ENUM_ARRAY_NARROWED@#/properties/c/enum' },
  { name: 'enum changed', old: obj({ c: { enum: ['r', 'g'] } }), new: obj({ c: { enum: ['r', 'b'] } }), level: 'BACKWARD', ok: false, first: 'ENUM_ARRAY_CHANGED@#/properties/c/enum' },
  { name: 'maxLength decreased', old: obj({ s: { type: 'string', maxLength: 12 } }), new: obj({ s: { type: 'string', maxLength: 10 } }), level: 'BACKWARD', ok: false, first: 'MAX_LENGTH_DECREASED@#/properties/s/maxLength' },
  { name: 'minimum added', old: obj({ n: { type: 'number' } }), new: obj({ n: { type: 'number', minimum: 0 } }), level: 'BACKWARD', ok: false, first: 'MINIMUM_ADDED@#/properties/n/minimum' },
  { name: 'minimum added, forward', old: obj({ n: { type: 'number' } }), new: obj({ n: { type: 'number', minimum: 0 } }), level: 'FORWARD', ok: true },
  { name: 'model closed', old: JSON.stringify({ type: 'object', additionalProperties: true }), new: JSON.stringify({ type: 'object', additionalProperties: false }), level: 'BACKWARD', ok: false, first: 'ADDITIONAL_PROPERTIES_REMOVED@#/additionalProperties' },
  { name: 'model opened', old: JSON.stringify({ type: 'object', properties: {}, additionalProperties: false }), new: JSON.stringify({ type: 'object', properties: {} }), level: 'BACKWARD', ok: true },
  { name: 'array items changed', old: obj({ t: { type: 'array', items: str } }), new: obj({ t: { type: 'array', items: { type: 'number' } } }), level: 'BACKWARD', ok: false, first: 'TYPE_CHANGED@#/properties/t/items' },
  { name: 'array items constrained', old: JSON.stringify({ type: 'array' }), new: JSON.stringify({ type: 'array', items: str }), level: 'BACKWARD', ok: false, first: 'SCHEMA_ADDED@#/items' },
  { name: 'maxItems decreased', old: JSON.stringify({ type: 'array', maxItems: 2 }), new: JSON.stringify({ type: 'array', maxItems: 1 }), level: 'BACKWARD', ok: false, first: 'MAX_ITEMS_DECREASED@#/maxItems' },
  { name: 'a $ref is compared by what it points to', old: JSON.stringify(str), new: JSON.stringify({ $ref: '#/definitions/s', definitions: { s: str } }), level: 'FULL', ok: true },
  { name: 'anything reads into the empty schema', old: obj({ a: str }, closed), new: JSON.stringify({}), level: 'BACKWARD', ok: true },
];

function run(parse: (text: string) => AvroSchema | JsonSchema, c: Case) {
  return checkCompatibility(parse(c.new), [{ version: 1, schema: parse(c.old) }], c.level);
}

for (const [label, parse, cases] of [
  ['Avro', AvroSchema.parse, AVRO],
  ['JSON Schema', JsonSchema.parse, JSON_CASES],
] as const) {
  describe(`${label} compatibility`, () => {
    for (const c of cases) {
      it(`${c.name} (${c.level}): ${c.ok ? 'compatible' : 'incompatible'}`, () => {
        const result = run(parse, c);
        assert.equal(result.compatible, c.ok, JSON.stringify(result.problems));
        if (c.first) assert.equal(`${result.problems[0]!.errorType}@${result.problems[0]!.path}`, c.first);
        if (!c.ok) assert.ok(result.problems.every((p) => p.description.length > 0 && /new|old|changed|different/.test(p.description)), 'each problem explains itself');
      });
    }
  });
}

describe('Avro checks agree with avsc schema resolution', () => {
  // avsc's resolver is an independent implementation of the same specification: where we say a
  // reader can read a writer, avsc must build a resolver, and where we say it cannot, avsc must refuse.
  for (const c of AVRO.filter((c) => c.level === 'BACKWARD' || c.level === 'FORWARD')) {
    it(c.name, () => {
      const [reader, writer] = c.level === 'BACKWARD' ? [c.new, c.old] : [c.old, c.new];
      const r = AvroSchema.parse(reader);
      const w = AvroSchema.parse(writer);
      let avscOk = true;
      try {
        r.avroType.createResolver(w.avroType);
      } catch {
        avscOk = false;
      }
      assert.equal(r.readProblems(w, { reader: 'new', writer: 'old' }).length === 0, avscOk);
    });
  }
});

describe('levels', () => {
  const v1 = rec([f('a', 'int')]);
  const v2 = rec([f('a', 'int'), f('b', 'int', { default: 0 })]);
  const v3 = rec([f('a', 'int'), f('b', 'int')]);
  const history = [v1, v2].map((s, i) => ({ version: i + 1, schema: AvroSchema.parse(s) }));

  it('BACKWARD checks the latest version only; BACKWARD_TRANSITIVE every one, newest first', () => {
    assert.equal(checkCompatibility(AvroSchema.parse(v3), history, 'BACKWARD').compatible, true);
    const transitive = checkCompatibility(AvroSchema.parse(v3), history, 'BACKWARD_TRANSITIVE');
    assert.equal(transitive.compatible, false);
    assert.equal(transitive.againstVersion, 1);
  });

  it('FORWARD_TRANSITIVE and FULL_TRANSITIVE reach back to the first version', () => {
    const dropsB = rec([f('a', 'int')]);
    const hist = [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 1 })])].map((s, i) => ({ version: i + 1, schema: AvroSchema.parse(s) }));
    assert.equal(checkCompatibility(AvroSchema.parse(dropsB), hist, 'FORWARD').compatible, true);
    assert.equal(checkCompatibility(AvroSchema.parse(dropsB), hist, 'FORWARD_TRANSITIVE').againstVersion, 1);
    assert.equal(checkCompatibility(AvroSchema.parse(dropsB), hist, 'FULL').compatible, true);
    assert.equal(checkCompatibility(AvroSchema.parse(dropsB), hist, 'FULL_TRANSITIVE').compatible, false);
  });

  it('JSON Schema: FULL passes against the latest version while FULL_TRANSITIVE reaches back to a closed first version', () => {
    const v1 = JsonSchema.parse(obj({ a: str }, closed));
    const v2 = JsonSchema.parse(obj({ a: str }, { additionalProperties: str }));
    const v3 = JsonSchema.parse(obj({ a: str, b: str }, { additionalProperties: str }));
    const hist = [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ];
    assert.equal(checkCompatibility(v3, hist, 'FULL').compatible, true);
    const transitive = checkCompatibility(v3, hist, 'FULL_TRANSITIVE');
    assert.equal(transitive.againstVersion, 1);
    assert.deepEqual(transitive.problems.map((p) => p.errorType).sort(), ['ADDITIONAL_PROPERTIES_REMOVED', 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL']);
    assert.equal(checkCompatibility(v3, hist, 'BACKWARD_TRANSITIVE').compatible, true);
    assert.equal(checkCompatibility(v3, hist, 'FORWARD_TRANSITIVE').againstVersion, 1);
  });

  it('a schema of another type is incompatible, and the first version of a subject always passes', () => {
    const json = JsonSchema.parse(obj({ a: str }));
    assert.equal(checkCompatibility(json, history, 'BACKWARD').problems[0]!.description, 'Incompatible because of different schema type');
    assert.equal(checkCompatibility(json, [], 'FULL_TRANSITIVE').compatible, true);
  });
});

describe('every level, both schema types: a schema it accepts and one it refuses', () => {
  // Histories and candidates differ only in an enum, whose evolution rules are the same in Avro
  // (the reader must know every writer symbol) and JSON Schema (the new enum must hold the old).
  const avroWith = (symbols: string[]) => AvroSchema.parse(rec([f('e', enumT(symbols))]));
  const jsonWith = (symbols: string[]) => JsonSchema.parse(obj({ e: { enum: symbols } }));
  const matrix: Array<{ level: CompatibilityLevel; history: string[][]; accepts: string[]; refuses: string[]; failsAgainst: number }> = [
    { level: 'NONE', history: [['A', 'B']], accepts: ['Z'], refuses: [], failsAgainst: 0 },
    { level: 'BACKWARD', history: [['A'], ['A', 'B']], accepts: ['A', 'B', 'C'], refuses: ['A'], failsAgainst: 2 },
    { level: 'BACKWARD_TRANSITIVE', history: [['A', 'B', 'C'], ['A', 'B']], accepts: ['A', 'B', 'C', 'D'], refuses: ['A', 'B'], failsAgainst: 1 },
    { level: 'FORWARD', history: [['A'], ['A', 'B']], accepts: ['A'], refuses: ['A', 'B', 'Z'], failsAgainst: 2 },
    { level: 'FORWARD_TRANSITIVE', history: [['A'], ['A', 'B']], accepts: ['A'], refuses: ['A', 'B'], failsAgainst: 1 },
    { level: 'FULL', history: [['A'], ['A', 'B']], accepts: ['A', 'B'], refuses: ['A', 'B', 'Z'], failsAgainst: 2 },
    // With enums FULL means the same symbols, so a transitive history that passes must not change;
    // reaching back to version 1 is shown with defaults (Avro) and content models (JSON) above.
    { level: 'FULL_TRANSITIVE', history: [['A', 'B'], ['A', 'B']], accepts: ['A', 'B'], refuses: ['A', 'B', 'Z'], failsAgainst: 2 },
  ];
  for (const [label, make] of [
    ['Avro', avroWith],
    ['JSON Schema', jsonWith],
  ] as const) {
    for (const { level, history, accepts, refuses, failsAgainst } of matrix) {
      it(`${label} ${level}`, () => {
        const previous = history.map((symbols, i) => ({ version: i + 1, schema: make(symbols) }));
        const ok = checkCompatibility(make(accepts), previous, level);
        assert.equal(ok.compatible, true, JSON.stringify(ok.problems));
        if (level === 'NONE') return;
        const refused = checkCompatibility(make(refuses), previous, level);
        assert.equal(refused.compatible, false, `${level} should refuse [${refuses}]`);
        assert.equal(refused.againstVersion, failsAgainst);
        assert.match(refused.problems[0]!.errorType, /ENUM/);
      });
    }
  }
});

describe('explanations name the field, the rule, and the old and new values', () => {
  const problem = (oldDoc: string, newDoc: string, level: CompatibilityLevel) =>
    checkCompatibility(JsonSchema.parse(newDoc), [{ version: 1, schema: JsonSchema.parse(oldDoc) }], level).problems[0]!;

  it('JSON Schema limits, types and enums, in both directions', () => {
    const narrowed = problem(obj({ s: { type: 'string', maxLength: 12 } }), obj({ s: { type: 'string', maxLength: 10 } }), 'BACKWARD');
    assert.deepEqual([narrowed.errorType, narrowed.path, narrowed.additionalInfo], ['MAX_LENGTH_DECREASED', '#/properties/s/maxLength', 'old: 12, new: 10']);
    const forward = problem(obj({ s: { type: 'string', maxLength: 10 } }), obj({ s: { type: 'string', maxLength: 12 } }), 'FORWARD');
    assert.deepEqual([forward.errorType, forward.additionalInfo], ['MAX_LENGTH_DECREASED', 'old: 10, new: 12']);
    assert.match(forward.description, /in the old schema is less than its value in the new schema/);
    const retyped = problem(obj({ n: str }), obj({ n: { type: 'integer' } }), 'BACKWARD');
    assert.equal(retyped.additionalInfo, 'old: "string", new: "integer"');
    const enums = problem(obj({ c: { enum: ['r', 'g'] } }), obj({ c: { enum: ['r', 'b'] } }), 'BACKWARD');
    assert.equal(enums.additionalInfo, 'old: ["r","g"], new: ["r","b"]');
  });

  it('Avro types and fields', () => {
    const [mismatch] = AvroSchema.parse(rec([f('a', 'string')])).readProblems(AvroSchema.parse(rec([f('a', 'int')])), { reader: 'new', writer: 'old' });
    assert.equal(mismatch!.additionalInfo, 'reader type: STRING not compatible with writer type: INT');
    assert.equal(mismatch!.description, "The type (path '/fields/0/type') of a field in the new schema does not match with the old schema");
  });
});

describe('keywords that change what a JSON Schema accepts, wherever they stand', () => {
  const verdict = (oldDoc: unknown, newDoc: unknown, level: CompatibilityLevel) =>
    checkCompatibility(JsonSchema.parse(JSON.stringify(newDoc)), [{ version: 1, schema: JsonSchema.parse(JSON.stringify(oldDoc)) }], level);

  it('compares properties and limits that stand beside allOf, oneOf and not', () => {
    const withAllOf = (t: string) => ({ type: 'object', properties: { a: { type: t } }, allOf: [{ required: ['a'] }] });
    assert.equal(verdict(withAllOf('string'), withAllOf('integer'), 'FULL').compatible, false);
    const closedOneOf = (props: Record<string, unknown>) => ({ type: 'object', properties: props, additionalProperties: false, oneOf: [{ required: ['a'] }] });
    assert.equal(verdict(closedOneOf({ a: { type: 'string' }, b: { type: 'string' } }), closedOneOf({ a: { type: 'string' } }), 'FULL').compatible, false);
    const withNot = (max: number) => ({ type: 'string', maxLength: max, not: { const: 'x' } });
    const r = verdict(withNot(10), withNot(5), 'BACKWARD');
    assert.equal(r.compatible, false);
    assert.ok(r.problems.some((p) => p.errorType === 'MAX_LENGTH_DECREASED' && p.additionalInfo === 'old: 10, new: 5'), JSON.stringify(r.problems));
    assert.equal(verdict(withNot(10), withNot(10), 'FULL').compatible, true, 'the same schema stays compatible');
  });

  it('treats unevaluatedProperties: false as a closed content model', () => {
    const closed = (props: Record<string, unknown>) => ({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: props, unevaluatedProperties: false });
    const ab = closed({ a: { type: 'string' }, b: { type: 'string' } });
    const a = closed({ a: { type: 'string' } });
    assert.equal(verdict(ab, a, 'BACKWARD').problems[0]?.errorType, 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL');
    assert.equal(verdict(a, ab, 'BACKWARD').compatible, true, 'an optional property added to a closed model');
  });

  it('checks dependencies and patternProperties', () => {
    const base = { type: 'object', properties: { card: { type: 'string' }, billing: { type: 'string' } } };
    assert.equal(verdict(base, { ...base, dependentRequired: { card: ['billing'] } }, 'BACKWARD').problems[0]?.errorType, 'DEPENDENCY_ARRAY_ADDED');
    assert.equal(verdict({ ...base, dependentRequired: { card: ['billing'] } }, base, 'BACKWARD').compatible, true);
    assert.equal(verdict(base, { ...base, dependencies: { card: { required: ['billing'] } } }, 'BACKWARD').problems[0]?.errorType, 'DEPENDENCY_SCHEMA_ADDED');
    const patterned = (t: string) => ({ type: 'object', patternProperties: { '^x-': { type: t } }, additionalProperties: false });
    assert.equal(verdict(patterned('string'), patterned('number'), 'BACKWARD').problems[0]?.errorType, 'TYPE_CHANGED');
    assert.equal(verdict({ type: 'object', additionalProperties: false }, patterned('string'), 'BACKWARD').compatible, true, 'a pattern opens a closed model');
    assert.equal(verdict({ type: 'object' }, patterned('string'), 'BACKWARD').compatible, false, 'a pattern narrows an open model');
  });

  it('parses recursive schemas ($ref "#"), draft-06, and two versions sharing an $id', () => {
    const tree = JsonSchema.parse(JSON.stringify({ type: 'object', properties: { child: { $ref: '#' } } }));
    assert.equal(tree.validate({ child: { child: {} } }), undefined);
    assert.equal(tree.validate({ child: 1 })?.path, '/child');
    assert.equal(JsonSchema.parse(JSON.stringify({ $schema: 'http://json-schema.org/draft-06/schema#', type: 'string' })).validate(1)?.message, 'must be string');
    const v1 = JsonSchema.parse(JSON.stringify({ $id: 'https://example.com/pv', type: 'string' }));
    const v2 = JsonSchema.parse(JSON.stringify({ $id: 'https://example.com/pv', type: 'number' }));
    assert.ok(v1.validate(1) && !v2.validate(1));
  });
});

describe('Avro payloads carried as JSON', () => {
  const schema = AvroSchema.parse(
    rec([f('email', 'string'), f('avatar', 'bytes'), f('hash', { type: 'fixed', name: 'Hash', size: 2 }), f('again', ['null', 'Hash'], { default: null })]),
  );

  it('takes bytes and fixed as strings of one character per byte, in JSON and decoded from the wire', () => {
    assert.equal(schema.validate({ email: 'a', avatar: '\u0001\u00ff', hash: 'ab', again: null }), undefined);
    const wire = schema.avroType.toBuffer({ email: 'a', avatar: Buffer.from([1, 255]), hash: Buffer.from('ab'), again: Buffer.from('cd') });
    const decoded = schema.decode(wire);
    assert.deepEqual(decoded, { email: 'a', avatar: '\u0001\u00ff', hash: 'ab', again: 'cd' });
    assert.equal(schema.validate(decoded), undefined);
  });

  it('refuses fields the schema does not declare, which would be stored unvalidated', () => {
    assert.equal(schema.validate({ email: 'a', avatar: '', hash: 'ab', again: null, extra: 1 })?.message, 'has fields the schema does not declare');
  });
});
