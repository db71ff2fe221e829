import type { Incompatibility, RoleLabels } from './incompatibility.js';
import { linearRegExp } from '../../core/linear-regexp.js';

/**
 * Confluent's JSON Schema compatibility: `diff(original, update)` lists how `update` differs from
 * `original`, and the pair is compatible when every difference is one that lets `update` accept
 * whatever `original` accepted (relaxing is fine, tightening is not). BACKWARD compares
 * (old, new); FORWARD swaps them. Content models decide what adding or removing a property means:
 * open (additionalProperties absent or true: any extra property of any type was valid), closed
 * (false) and partially open (a schema, or patternProperties).
 *
 * Differences from Confluent, on purpose: `type: [a, b]` is compared as a sum type but an `enum`
 * beside a `type` is compared in place (Confluent wraps it in allOf, which only changes the path);
 * numeric limits are compared exactly.
 */
type Schema = boolean | Record<string, unknown>;

export const COMPATIBLE_CHANGES = new Set([
  'ID_CHANGED', 'DESCRIPTION_CHANGED', 'TITLE_CHANGED', 'DEFAULT_CHANGED', 'SCHEMA_REMOVED', 'TYPE_EXTENDED',
  'MAX_LENGTH_INCREASED', 'MAX_LENGTH_REMOVED', 'MIN_LENGTH_DECREASED', 'MIN_LENGTH_REMOVED', 'PATTERN_REMOVED',
  'MAXIMUM_INCREASED', 'MAXIMUM_REMOVED', 'MINIMUM_DECREASED', 'MINIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED', 'EXCLUSIVE_MAXIMUM_REMOVED', 'EXCLUSIVE_MINIMUM_DECREASED', 'EXCLUSIVE_MINIMUM_REMOVED',
  'MULTIPLE_OF_REDUCED', 'MULTIPLE_OF_REMOVED',
  'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED', 'REQUIRED_ATTRIBUTE_REMOVED',
  'DEPENDENCY_ARRAY_NARROWED', 'DEPENDENCY_ARRAY_REMOVED', 'DEPENDENCY_SCHEMA_REMOVED',
  'MAX_PROPERTIES_INCREASED', 'MAX_PROPERTIES_REMOVED', 'MIN_PROPERTIES_DECREASED', 'MIN_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_ADDED', 'ADDITIONAL_PROPERTIES_EXTENDED', 'UNEVALUATED_PROPERTIES_ADDED', 'UNEVALUATED_PROPERTIES_EXTENDED',
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', 'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL', 'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'MAX_ITEMS_INCREASED', 'MAX_ITEMS_REMOVED', 'MIN_ITEMS_DECREASED', 'MIN_ITEMS_REMOVED', 'UNIQUE_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_ADDED', 'ADDITIONAL_ITEMS_EXTENDED',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', 'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ENUM_ARRAY_EXTENDED', 'COMBINED_TYPE_EXTENDED', 'PRODUCT_TYPE_NARROWED', 'SUM_TYPE_EXTENDED', 'NOT_TYPE_NARROWED',
]);

interface Difference {
  type: string;
  path: string;
  /** The values on each side, when a value changed: shown as "old: …, new: …". */
  original?: unknown;
  update?: unknown;
}

/** Problems reading data valid under `writer` with `reader`: diff(original = writer, update = reader). */
export function jsonSchemaReadProblems(reader: Schema, writer: Schema, labels: RoleLabels): Incompatibility[] {
  const differences = new SchemaDiff(writer, reader).run();
  return differences.filter((d) => !COMPATIBLE_CHANGES.has(d.type)).map((d) => describe(d, labels));
}

class SchemaDiff {
  private readonly inProgress = new Map<Schema, Set<Schema>>();

  constructor(private readonly originalRoot: Schema, private readonly updateRoot: Schema) {}

  run(): Difference[] {
    const out: Difference[] = [];
    this.compare(this.originalRoot, this.updateRoot, '#', out);
    return out;
  }

  private compare(originalRaw: Schema | undefined, updateRaw: Schema | undefined, path: string, out: Difference[]): void {
    if (originalRaw === undefined && updateRaw === undefined) return;
    if (originalRaw === undefined) return void out.push({ type: 'SCHEMA_ADDED', path });
    if (updateRaw === undefined) return void out.push({ type: 'SCHEMA_REMOVED', path });
    const original = resolve(originalRaw, this.originalRoot);
    const update = resolve(updateRaw, this.updateRoot);
    const seen = this.inProgress.get(original) ?? new Set<Schema>();
    if (seen.has(update)) return;
    seen.add(update);
    this.inProgress.set(original, seen);
    try {
      this.compareResolved(original, update, path, out);
    } finally {
      seen.delete(update);
    }
  }

  private compatible(original: Schema | undefined, update: Schema | undefined, path: string): { ok: boolean; diffs: Difference[] } {
    const diffs: Difference[] = [];
    this.compare(original, update, path, diffs);
    return { ok: diffs.every((d) => COMPATIBLE_CHANGES.has(d.type)), diffs };
  }

  private compareResolved(original: Schema, update: Schema, path: string, out: Difference[]): void {
    const o = classify(original);
    const u = classify(update);
    if (o.kind !== 'combined' && u.kind === 'combined') {
      if (u.subschemas.length === 1) return this.compare(original, u.subschemas[0], path, out);
      if (u.criterion !== 'allOf') {
        for (let i = 0; i < u.subschemas.length; i++) {
          const r = this.compatible(original, u.subschemas[i], `${path}/${u.criterion}/${i}`);
          if (r.ok) {
            out.push(...r.diffs, { type: 'SUM_TYPE_EXTENDED', path });
            return;
          }
        }
      }
    }
    if (o.kind === 'combined' && u.kind !== 'combined') {
      if (o.subschemas.length === 1) return this.compare(o.subschemas[0], update, path, out);
      if (o.criterion === 'allOf' && o.subschemas.some((s) => this.compatible(s, update, path).ok)) {
        out.push({ type: 'PRODUCT_TYPE_NARROWED', path });
        return;
      }
    }
    if (o.kind !== u.kind) {
      if (o.kind === 'false' || u.kind === 'empty') return;
      out.push({ type: 'TYPE_CHANGED', path, original: typeName(original, o), update: typeName(update, u) });
      return;
    }
    if (typeof original === 'boolean' || typeof update === 'boolean') return;
    for (const [keyword, type] of [['$id', 'ID_CHANGED'], ['title', 'TITLE_CHANGED'], ['description', 'DESCRIPTION_CHANGED'], ['default', 'DEFAULT_CHANGED']] as const) {
      if (JSON.stringify(original[keyword]) !== JSON.stringify(update[keyword])) out.push({ type, path });
    }
    this.compareEnum(original, update, path, out);
    switch (o.kind) {
      case 'string':
        compareLimit(original, update, 'maxLength', 'MAX_LENGTH', 'max', path, out);
        compareLimit(original, update, 'minLength', 'MIN_LENGTH', 'min', path, out);
        comparePattern(original, update, path, out);
        return;
      case 'number':
        compareLimit(original, update, 'maximum', 'MAXIMUM', 'max', path, out);
        compareLimit(original, update, 'minimum', 'MINIMUM', 'min', path, out);
        compareLimit(original, update, 'exclusiveMaximum', 'EXCLUSIVE_MAXIMUM', 'max', path, out);
        compareLimit(original, update, 'exclusiveMinimum', 'EXCLUSIVE_MINIMUM', 'min', path, out);
        compareMultipleOf(original, update, path, out);
        if (isInteger(o) && !isInteger(u)) out.push({ type: 'TYPE_EXTENDED', path, original: 'integer', update: 'number' });
        if (!isInteger(o) && isInteger(u)) out.push({ type: 'TYPE_NARROWED', path, original: 'number', update: 'integer' });
        return;
      case 'object':
        return this.compareObject(original, update, path, out);
      case 'array':
        return this.compareArray(original, update, path, out);
      case 'combined':
        return this.compareCombined(o, u as Combined, path, out);
      case 'not':
        if (this.compatible(update.not as Schema, original.not as Schema, `${path}/not`).ok) out.push({ type: 'NOT_TYPE_NARROWED', path });
        else out.push({ type: 'NOT_TYPE_EXTENDED', path });
        return;
      default:
        return;
    }
  }

  private compareEnum(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
    const before = Array.isArray(original.enum) ? original.enum.map((v) => JSON.stringify(v)) : undefined;
    const after = Array.isArray(update.enum) ? update.enum.map((v) => JSON.stringify(v)) : undefined;
    if (!before && !after) return;
    const p = `${path}/enum`;
    const values = { original: original.enum, update: update.enum };
    if (!after) return void out.push({ type: 'ENUM_ARRAY_EXTENDED', path: p, ...values });
    if (!before) return void out.push({ type: 'ENUM_ARRAY_NARROWED', path: p, ...values });
    const a = new Set(after);
    const b = new Set(before);
    const grew = before.every((v) => a.has(v));
    const shrank = after.every((v) => b.has(v));
    if (grew && shrank) return;
    out.push({ type: grew ? 'ENUM_ARRAY_EXTENDED' : shrank ? 'ENUM_ARRAY_NARROWED' : 'ENUM_ARRAY_CHANGED', path: p, ...values });
  }

  private compareObject(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
    compareLimit(original, update, 'maxProperties', 'MAX_PROPERTIES', 'max', path, out);
    compareLimit(original, update, 'minProperties', 'MIN_PROPERTIES', 'min', path, out);
    this.compareAdditional(original.additionalProperties as Schema | undefined, update.additionalProperties as Schema | undefined, 'ADDITIONAL_PROPERTIES', `${path}/additionalProperties`, out);
    this.compareAdditional(original.unevaluatedProperties as Schema | undefined, update.unevaluatedProperties as Schema | undefined, 'UNEVALUATED_PROPERTIES', `${path}/unevaluatedProperties`, out);
    this.comparePatternProperties(original, update, path, out);
    this.compareDependencies(original, update, path, out);
    const oProps = objectOf(original.properties);
    const uProps = objectOf(update.properties);
    const oRequired = new Set(arrayOf(original.required));
    const uRequired = new Set(arrayOf(update.required));
    for (const key of new Set([...Object.keys(oProps), ...Object.keys(uProps)])) {
      const p = `${path}/properties/${escape(key)}`;
      const before = oProps[key];
      const after = uProps[key];
      if (before !== undefined && after !== undefined) {
        this.compare(before, after, p, out);
        if (oRequired.has(key) && !uRequired.has(key)) out.push({ type: 'REQUIRED_ATTRIBUTE_REMOVED', path: `${path}/required/${escape(key)}` });
        if (!oRequired.has(key) && uRequired.has(key)) {
          out.push({ type: hasDefault(after) ? 'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED' : 'REQUIRED_ATTRIBUTE_ADDED', path: `${path}/required/${escape(key)}` });
        }
      } else if (before !== undefined) {
        this.propertyRemoved(key, before, update, p, out);
      } else if (after !== undefined) {
        this.propertyAdded(key, after, original, uRequired.has(key), p, out);
      }
    }
  }

  /**
   * patternProperties by pattern: a pattern in both is compared; one added or removed is compared
   * with what the other side allowed for such names (its additionalProperties).
   */
  private comparePatternProperties(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
    const before = objectOf(original.patternProperties);
    const after = objectOf(update.patternProperties);
    const allowance = (schema: Record<string, unknown>): Schema => (schema.additionalProperties as Schema | undefined) ?? true;
    for (const pattern of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = `${path}/patternProperties/${escape(pattern)}`;
      const o = before[pattern];
      const u = after[pattern];
      if (o !== undefined && u !== undefined) this.compare(o, u, p, out);
      else if (u !== undefined) this.compare(allowance(original), u, p, out);
      else if (o !== undefined) this.compare(o, allowance(update), p, out);
    }
  }

  /** dependencies (both forms), dependentRequired and dependentSchemas, per property. */
  private compareDependencies(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
    const collect = (schema: Record<string, unknown>) => ({ ...objectOf(schema.dependencies), ...objectOf(schema.dependentRequired), ...objectOf(schema.dependentSchemas) }) as Record<string, unknown>;
    const before = collect(original);
    const after = collect(update);
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = `${path}/dependencies/${escape(key)}`;
      const o = before[key];
      const u = after[key];
      if (Array.isArray(o) || Array.isArray(u)) {
        const values = { original: o, update: u };
        if (!Array.isArray(o)) out.push({ type: 'DEPENDENCY_ARRAY_ADDED', path: p, ...values });
        else if (!Array.isArray(u)) out.push({ type: 'DEPENDENCY_ARRAY_REMOVED', path: p, ...values });
        else {
          const grew = o.every((x) => u.includes(x));
          const shrank = u.every((x) => o.includes(x));
          if (!(grew && shrank)) out.push({ type: grew ? 'DEPENDENCY_ARRAY_EXTENDED' : shrank ? 'DEPENDENCY_ARRAY_NARROWED' : 'DEPENDENCY_ARRAY_CHANGED', path: p, ...values });
        }
      } else if (o === undefined) out.push({ type: 'DEPENDENCY_SCHEMA_ADDED', path: p, update: u });
      else if (u === undefined) out.push({ type: 'DEPENDENCY_SCHEMA_REMOVED', path: p, original: o });
      else this.compare(o as Schema, u as Schema, p, out);
    }
  }

  /** A property of `original` that `update` no longer names: only update's content model decides. */
  private propertyRemoved(key: string, before: Schema, update: Record<string, unknown>, path: string, out: Difference[]): void {
    const model = contentModel(update, key);
    const values = { original: before, update: undefined };
    if (model.kind === 'open') return void out.push({ type: 'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', path, ...values });
    if (model.kind === 'partial') {
      const r = this.compatible(before, model.schema, path);
      if (r.ok) out.push({ type: 'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path });
      else out.push({ type: 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path }, ...r.diffs);
      return;
    }
    out.push({ type: before === false ? 'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL' : 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', path, ...values });
  }

  /** A property `update` names that `original` did not: only original's content model decides. */
  private propertyAdded(key: string, after: Schema, original: Record<string, unknown>, required: boolean, path: string, out: Difference[]): void {
    const model = contentModel(original, key);
    if (model.kind === 'open') {
      // Old data may carry this property with any value at all.
      out.push({ type: isEmptySchema(after) ? 'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL' : 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', path, update: after });
      return;
    }
    if (model.kind === 'partial') {
      const r = this.compatible(model.schema, after, path);
      if (r.ok) out.push({ type: 'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path });
      else out.push({ type: 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path }, ...r.diffs);
    }
    if (!required) out.push({ type: 'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', path });
    else if (hasDefault(after)) out.push({ type: 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL', path });
    else out.push({ type: 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', path, update: after });
  }

  /** additionalProperties / additionalItems: false forbids, absent or true allows anything, a schema constrains. */
  private compareAdditional(before: Schema | undefined, after: Schema | undefined, prefix: string, path: string, out: Difference[]): void {
    const permits = (s: Schema | undefined): boolean => s !== false;
    const isSchema = (s: Schema | undefined): s is Record<string, unknown> => typeof s === 'object' && s !== null && !isEmptySchema(s);
    const values = { original: before ?? true, update: after ?? true };
    if (permits(before) && !permits(after)) return void out.push({ type: `${prefix}_REMOVED`, path, ...values });
    if (!permits(before) && permits(after)) return void out.push({ type: `${prefix}_ADDED`, path, ...values });
    if (!permits(before)) return;
    if (!isSchema(before) && isSchema(after)) return void out.push({ type: `${prefix}_NARROWED`, path, ...values });
    if (isSchema(before) && !isSchema(after)) return void out.push({ type: `${prefix}_EXTENDED`, path, ...values });
    if (isSchema(before) && isSchema(after)) this.compare(before, after, path, out);
  }

  private compareArray(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
    compareLimit(original, update, 'maxItems', 'MAX_ITEMS', 'max', path, out);
    compareLimit(original, update, 'minItems', 'MIN_ITEMS', 'min', path, out);
    if (original.uniqueItems === true && update.uniqueItems !== true) out.push({ type: 'UNIQUE_ITEMS_REMOVED', path: `${path}/uniqueItems` });
    if (original.uniqueItems !== true && update.uniqueItems === true) out.push({ type: 'UNIQUE_ITEMS_ADDED', path: `${path}/uniqueItems` });
    const o = arrayShape(original);
    const u = arrayShape(update);
    if (!o.tuple && !u.tuple) return this.compare(o.rest, u.rest, `${path}/items`, out);
    const before = o.tuple ?? [];
    const after = u.tuple ?? [];
    for (let i = 0; i < Math.min(before.length, after.length); i++) this.compare(before[i], after[i], `${path}/items/${i}`, out);
    for (let i = after.length; i < before.length; i++) {
      const p = `${path}/items/${i}`;
      const rest = u.rest;
      if (rest === undefined || rest === true || isEmptySchema(rest)) out.push({ type: 'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', path: p });
      else if (rest === false) out.push({ type: before[i] === false ? 'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL' : 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', path: p });
      else out.push({ type: this.compatible(before[i], rest, p).ok ? 'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path: p });
    }
    for (let i = before.length; i < after.length; i++) {
      const p = `${path}/items/${i}`;
      const rest = o.rest;
      if (rest === undefined || rest === true || isEmptySchema(rest)) out.push({ type: isEmptySchema(after[i]!) ? 'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL' : 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL', path: p });
      else if (rest === false) out.push({ type: 'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL', path: p });
      else out.push({ type: this.compatible(rest, after[i], p).ok ? 'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', path: p });
    }
    this.compareAdditional(o.rest, u.rest, 'ADDITIONAL_ITEMS', `${path}/additionalItems`, out);
  }

  private compareCombined(o: Combined, u: Combined, path: string, out: Difference[]): void {
    if (o.criterion !== u.criterion) {
      const extended =
        u.criterion === 'anyOf' ||
        (u.criterion === 'oneOf' && o.subschemas.length === 1) ||
        (u.criterion === 'allOf' && o.subschemas.length === 1 && u.subschemas.length === 1);
      if (!extended) return void out.push({ type: 'COMBINED_TYPE_CHANGED', path });
      out.push({ type: 'COMBINED_TYPE_EXTENDED', path });
    }
    const product = u.criterion === 'allOf';
    if (u.subschemas.length > o.subschemas.length) out.push({ type: product ? 'PRODUCT_TYPE_EXTENDED' : 'SUM_TYPE_EXTENDED', path });
    if (u.subschemas.length < o.subschemas.length) out.push({ type: product ? 'PRODUCT_TYPE_NARROWED' : 'SUM_TYPE_NARROWED', path });
    // Each original branch needs its own compatible update branch: a maximum bipartite matching.
    const pairs = o.subschemas.map((before, i) =>
      u.subschemas.map((after, j) => this.compatible(before, after, `${path}/${u.criterion}/${j}`)),
    );
    const matchOfUpdate = new Array<number>(u.subschemas.length).fill(-1);
    const augment = (i: number, visited: boolean[]): boolean => {
      for (let j = 0; j < u.subschemas.length; j++) {
        if (!pairs[i]![j]!.ok || visited[j]) continue;
        visited[j] = true;
        if (matchOfUpdate[j] === -1 || augment(matchOfUpdate[j]!, visited)) {
          matchOfUpdate[j] = i;
          return true;
        }
      }
      return false;
    };
    let matched = 0;
    for (let i = 0; i < o.subschemas.length; i++) if (augment(i, new Array<boolean>(u.subschemas.length).fill(false))) matched++;
    if (matched < Math.min(o.subschemas.length, u.subschemas.length)) {
      out.push({ type: 'COMBINED_TYPE_SUBSCHEMAS_CHANGED', path });
      // To explain it: what changed between unmatched branches that stand at the same place.
      const matchedOriginals = new Set(matchOfUpdate.filter((i) => i >= 0));
      for (let i = 0; i < Math.min(o.subschemas.length, u.subschemas.length); i++) {
        if (!matchedOriginals.has(i) && matchOfUpdate[i] === -1) out.push(...pairs[i]![i]!.diffs.filter((d) => !COMPATIBLE_CHANGES.has(d.type)));
      }
      return;
    }
    matchOfUpdate.forEach((i, j) => {
      if (i >= 0) out.push(...pairs[i]![j]!.diffs);
    });
  }
}

type Classified =
  | { kind: 'empty' | 'false' | 'string' | 'object' | 'array' | 'boolean' | 'null' | 'not' | 'unknown' }
  | { kind: 'number'; integer: boolean }
  | Combined;
interface Combined {
  kind: 'combined';
  criterion: 'anyOf' | 'oneOf' | 'allOf';
  subschemas: Schema[];
}

const OBJECT_KEYWORDS = [
  'properties',
  'additionalProperties',
  'unevaluatedProperties',
  'patternProperties',
  'propertyNames',
  'required',
  'minProperties',
  'maxProperties',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
];
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems'];
const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern'];
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];
const ANNOTATIONS = new Set(['$schema', '$id', 'id', 'title', 'description', 'default', 'examples', '$comment', 'definitions', '$defs']);

const COMBINATORS = ['anyOf', 'oneOf', 'allOf', 'not'] as const;

function classify(schema: Schema): Classified {
  if (schema === true) return { kind: 'empty' };
  if (schema === false) return { kind: 'false' };
  // Keywords beside a combinator constrain too: such a schema is the conjunction of its parts
  // (as Confluent's parser builds it), so nothing next to an anyOf/oneOf/allOf/not goes unchecked.
  const present = COMBINATORS.filter((c) => schema[c] !== undefined);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (!(COMBINATORS as readonly string[]).includes(k) && !ANNOTATIONS.has(k)) rest[k] = v;
  const hasRest = Object.keys(rest).length > 0;
  if (present.length > 1 || (present.length === 1 && hasRest)) {
    const parts: Schema[] = hasRest ? [rest] : [];
    for (const c of present) {
      if (c === 'allOf' && Array.isArray(schema.allOf)) parts.push(...(schema.allOf as Schema[]));
      else parts.push({ [c]: schema[c] });
    }
    return { kind: 'combined', criterion: 'allOf', subschemas: dedupe(parts) };
  }
  for (const criterion of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[criterion])) return { kind: 'combined', criterion, subschemas: dedupe(schema[criterion] as Schema[]) };
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type as string[];
    if (types.length === 1) return classify({ ...schema, type: types[0] });
    const { type: _type, ...rest } = schema;
    return { kind: 'combined', criterion: 'anyOf', subschemas: types.map((t) => ({ ...rest, type: t })) };
  }
  if (schema.not !== undefined) return { kind: 'not' };
  const type = schema.type as string | undefined;
  if (type === 'integer' || type === 'number') return { kind: 'number', integer: type === 'integer' };
  if (type === 'string' || type === 'object' || type === 'array' || type === 'boolean' || type === 'null') return { kind: type };
  const has = (keywords: string[]): boolean => keywords.some((k) => k in schema);
  if (has(OBJECT_KEYWORDS)) return { kind: 'object' };
  if (has(ARRAY_KEYWORDS)) return { kind: 'array' };
  if (has(STRING_KEYWORDS)) return { kind: 'string' };
  if (has(NUMBER_KEYWORDS)) return { kind: 'number', integer: false };
  if (Object.keys(schema).every((k) => ANNOTATIONS.has(k))) return { kind: 'empty' };
  return { kind: 'unknown' };
}

const isInteger = (c: Classified): boolean => c.kind === 'number' && c.integer;

function isEmptySchema(schema: Schema): boolean {
  return classify(schema).kind === 'empty';
}

function dedupe(schemas: Schema[]): Schema[] {
  const seen = new Set<string>();
  return schemas.filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Follows local `$ref`s (`#/definitions/x`, `#/$defs/x`, `#`); other refs are compared as written. */
function resolve(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let hops = 0; hops < 32 && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref as string;
    if (!ref.startsWith('#')) break;
    let target: unknown = root;
    for (const token of ref.slice(1).split('/').filter(Boolean)) {
      target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[token.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    }
    if (typeof target !== 'object' && typeof target !== 'boolean') break;
    current = target as Schema;
  }
  return current;
}

type ContentModel = { kind: 'open' } | { kind: 'closed' } | { kind: 'partial'; schema: Schema };

/** What an object schema says about a property it does not name. */
function contentModel(schema: Record<string, unknown>, key: string): ContentModel {
  const patterns = objectOf(schema.patternProperties);
  for (const [pattern, s] of Object.entries(patterns)) {
    try {
      if (linearRegExp(pattern).test(key)) return { kind: 'partial', schema: s };
    } catch {
      // an invalid pattern never matches
    }
  }
  // unevaluatedProperties (2019-09 and later) decides when additionalProperties is absent.
  const additional = (schema.additionalProperties ?? schema.unevaluatedProperties) as Schema | undefined;
  if (additional === false) return { kind: 'closed' };
  if (additional !== undefined && additional !== true && !isEmptySchema(additional)) return { kind: 'partial', schema: additional };
  if (Object.keys(patterns).length > 0) return { kind: 'partial', schema: true };
  return { kind: 'open' };
}

function arrayShape(schema: Record<string, unknown>): { tuple?: Schema[]; rest: Schema | undefined } {
  if (Array.isArray(schema.prefixItems)) return { tuple: schema.prefixItems as Schema[], rest: schema.items as Schema | undefined };
  if (Array.isArray(schema.items)) return { tuple: schema.items as Schema[], rest: schema.additionalItems as Schema | undefined };
  return { rest: schema.items as Schema | undefined };
}

function compareLimit(
  original: Record<string, unknown>,
  update: Record<string, unknown>,
  keyword: string,
  prefix: string,
  sense: 'max' | 'min',
  path: string,
  out: Difference[],
): void {
  const before = original[keyword];
  const after = update[keyword];
  const p = `${path}/${keyword}`;
  const values = { original: before, update: after };
  if (typeof before !== 'number' && typeof after !== 'number') return;
  if (typeof before !== 'number') return void out.push({ type: `${prefix}_ADDED`, path: p, ...values });
  if (typeof after !== 'number') return void out.push({ type: `${prefix}_REMOVED`, path: p, ...values });
  if (after === before) return;
  if (sense === 'max') out.push({ type: after > before ? `${prefix}_INCREASED` : `${prefix}_DECREASED`, path: p, ...values });
  else out.push({ type: after < before ? `${prefix}_DECREASED` : `${prefix}_INCREASED`, path: p, ...values });
}

function comparePattern(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
  const p = `${path}/pattern`;
  if (original.pattern === update.pattern) return;
  const values = { original: original.pattern, update: update.pattern };
  if (original.pattern === undefined) out.push({ type: 'PATTERN_ADDED', path: p, ...values });
  else if (update.pattern === undefined) out.push({ type: 'PATTERN_REMOVED', path: p, ...values });
  else out.push({ type: 'PATTERN_CHANGED', path: p, ...values });
}

function compareMultipleOf(original: Record<string, unknown>, update: Record<string, unknown>, path: string, out: Difference[]): void {
  const before = original.multipleOf;
  const after = update.multipleOf;
  const p = `${path}/multipleOf`;
  if (before === after || (typeof before !== 'number' && typeof after !== 'number')) return;
  const values = { original: before, update: after };
  if (typeof before !== 'number') return void out.push({ type: 'MULTIPLE_OF_ADDED', path: p, ...values });
  if (typeof after !== 'number') return void out.push({ type: 'MULTIPLE_OF_REMOVED', path: p, ...values });
  const divides = (a: number, b: number): boolean => Math.abs(a / b - Math.round(a / b)) < 1e-9;
  // multipleOf 4 → 2: every old value still passes (reduced); 2 → 4: some do not (expanded).
  if (divides(before, after)) out.push({ type: 'MULTIPLE_OF_REDUCED', path: p, ...values });
  else if (divides(after, before)) out.push({ type: 'MULTIPLE_OF_EXPANDED', path: p, ...values });
  else out.push({ type: 'MULTIPLE_OF_CHANGED', path: p, ...values });
}

const objectOf = (v: unknown): Record<string, Schema> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Schema>) : {});
const arrayOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const hasDefault = (s: Schema): boolean => typeof s === 'object' && 'default' in s;
const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

function describe(d: Difference, labels: RoleLabels): Incompatibility {
  // In a diff the reader is the update and the writer the original.
  const update = labels.reader;
  const original = labels.writer;
  const p = d.path;
  let description: string;
  if (/_ADDED_TO_OPEN_CONTENT_MODEL$/.test(d.type)) {
    description = `The ${update} schema has an open content model and has a property or item at path '${p}' which is missing in the ${original} schema`;
  } else if (d.type === 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL') {
    description = `The ${update} schema has an unopen content model and has a required property at path '${p}' which is missing in the ${original} schema`;
  } else if (/_REMOVED_FROM_CLOSED_CONTENT_MODEL$/.test(d.type)) {
    description = `The ${update} schema has a closed content model and is missing a property or item present at path '${p}' in the ${original} schema`;
  } else if (/NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL$/.test(d.type)) {
    description = `A property or item at path '${p}' is not covered by the partially open content model of the ${update} and ${original} schema`;
  } else if (/_ADDED$|_REMOVED$/.test(d.type)) {
    description = `The keyword at path '${p}' in the ${d.type.endsWith('_ADDED') ? update : original} schema is not present in the ${d.type.endsWith('_ADDED') ? original : update} schema`;
  } else if (/_INCREASED$/.test(d.type)) {
    description = `The value at path '${p}' in the ${update} schema is more than its value in the ${original} schema`;
  } else if (/_DECREASED$/.test(d.type)) {
    description = `The value at path '${p}' in the ${update} schema is less than its value in the ${original} schema`;
  } else if (/_NARROWED$/.test(d.type)) {
    description = `An array or combined type at path '${p}' has fewer elements in the ${update} schema than the ${original} schema`;
  } else if (/_EXTENDED$|_EXPANDED$/.test(d.type)) {
    description = `An array or combined type at path '${p}' has more elements or a stricter constraint in the ${update} schema than the ${original} schema`;
  } else {
    description = `A type at path '${p}' is different between the ${update} schema and the ${original} schema`;
  }
  if (!('original' in d) && !('update' in d)) return { errorType: d.type, path: p, description };
  const old = labels.writer === 'old' ? d.original : d.update;
  const neu = labels.writer === 'old' ? d.update : d.original;
  return { errorType: d.type, path: p, description, additionalInfo: `old: ${show(old)}, new: ${show(neu)}` };
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** A schema's type for messages: its `type` keyword, else what it was classified as. */
function typeName(schema: Schema, c: Classified): unknown {
  if (typeof schema === 'object' && schema.type !== undefined) return schema.type;
  return c.kind === 'combined' ? c.criterion : c.kind;
}
