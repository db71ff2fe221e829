import type { SchemaType } from '../core/ports/schema-store.js';

export interface ContractField {
  name: string;
  type: string;
  description?: string;
}

/**
 * The top-level fields of a payload contract, for the SchemaDatasetFacet of a source dataset:
 * a JSON Schema's `properties` or an Avro record's `fields`. Nested structure is named by its
 * type (`object`, `record`) rather than flattened. A schema that does not parse gives no fields:
 * lineage reports what it can and never fails on a contract.
 */
export function contractFields(schemaType: SchemaType, schema: string): ContractField[] {
  let doc: unknown;
  try {
    doc = JSON.parse(schema);
  } catch {
    return [];
  }
  return schemaType === 'AVRO' ? avroFields(doc) : jsonSchemaFields(doc);
}

function jsonSchemaFields(doc: unknown): ContractField[] {
  const properties = (doc as { properties?: Record<string, unknown> } | null)?.properties;
  if (!properties || typeof properties !== 'object') return [];
  return Object.entries(properties).map(([name, p]) => {
    const prop = (p ?? {}) as { type?: unknown; description?: unknown; enum?: unknown; $ref?: unknown };
    const type = Array.isArray(prop.type) ? prop.type.join('|') : typeof prop.type === 'string' ? prop.type : prop.enum ? 'enum' : prop.$ref ? 'ref' : 'any';
    return { name, type, ...(typeof prop.description === 'string' && { description: prop.description }) };
  });
}

function avroFields(doc: unknown): ContractField[] {
  const fields = (doc as { type?: unknown; fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.map((f: { name?: unknown; type?: unknown; doc?: unknown }) => ({
    name: String(f.name),
    type: avroTypeName(f.type),
    ...(typeof f.doc === 'string' && { description: f.doc }),
  }));
}

function avroTypeName(t: unknown): string {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.map(avroTypeName).join('|');
  if (t && typeof t === 'object') {
    const o = t as { type?: unknown; logicalType?: unknown };
    return typeof o.logicalType === 'string' ? o.logicalType : avroTypeName(o.type);
  }
  return 'any';
}
