import type avro from 'avsc';
import type { ContractField } from '../../core/contract-field.js';

const JSON_TYPES: Record<string, ContractField['type']> = { string: 'string', integer: 'long', number: 'double', boolean: 'boolean' };
const AVRO_TYPES: Record<string, ContractField['type']> = {
  string: 'string',
  enum: 'string',
  bytes: 'string',
  fixed: 'string',
  int: 'long',
  long: 'long',
  float: 'double',
  double: 'double',
  boolean: 'boolean',
};

/**
 * The top-level properties of a JSON Schema, each typed by its `type` (one type, or one and
 * `null`) or by an `enum`/`const` of strings. Anything else (objects, arrays, several types, a
 * `$ref`) is `json`. A schema without `properties` has no fields.
 */
export function jsonSchemaFields(document: boolean | Record<string, unknown>): ContractField[] {
  if (typeof document === 'boolean') return [];
  const properties = document.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return [];
  return Object.entries(properties as Record<string, unknown>).map(([name, sub]) => ({ name, type: jsonType(sub) }));
}

function jsonType(sub: unknown): ContractField['type'] {
  if (typeof sub !== 'object' || sub === null) return 'json';
  const s = sub as { type?: unknown; enum?: unknown; const?: unknown };
  const types = (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]).filter((t) => t !== 'null');
  if (types.length === 1 && typeof types[0] === 'string') return JSON_TYPES[types[0]] ?? 'json';
  if (types.length === 0) {
    const values = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : [];
    if (values.length > 0 && values.every((v) => typeof v === 'string')) return 'string';
  }
  return 'json';
}

/** The fields of an Avro record, each typed by its type (or the one branch of a union with `null`). */
export function avroFields(type: avro.Type): ContractField[] {
  const fields = (type as Partial<avro.types.RecordType>).fields;
  if (type.typeName !== 'record' || !fields) return [];
  return fields.map((field) => ({ name: field.name, type: avroType(field.type) }));
}

function avroType(type: avro.Type): ContractField['type'] {
  let branch = type;
  if (type.typeName === 'union:unwrapped' || type.typeName === 'union:wrapped') {
    const types = (type as avro.types.UnwrappedUnionType).types.filter((t) => t.typeName !== 'null');
    if (types.length !== 1) return 'json';
    branch = types[0]!;
  }
  return AVRO_TYPES[branch.typeName] ?? 'json';
}
