import { SightlineError } from '../../core/errors.js';
import { anyCase } from '../../core/text-patterns.js';
import type { SchemaType } from '../../core/ports/schema-store.js';
import { AvroSchema } from './avro-schema.js';
import { JsonSchema } from './json-schema.js';
import type { ParsedSchema } from './schema-type.js';

export const SCHEMA_TYPES: readonly SchemaType[] = ['AVRO', 'JSON'];
/** A schema type as the API takes it: in any (ASCII) case. */
export const SCHEMA_TYPE_PATTERN = `^(?:${SCHEMA_TYPES.map(anyCase).join('|')})$`;
const SCHEMA_TYPE = new RegExp(SCHEMA_TYPE_PATTERN, 'u');

/** Parses a schema of a registered type; a missing type means AVRO, as in Confluent's API. */
export function parseSchema(text: string, type: string | undefined): ParsedSchema {
  const schemaType = (type ?? 'AVRO').toUpperCase();
  if (text.trim() === '') throw new SightlineError('SL_SCHEMA_INVALID', 'Empty schema');
  if (type === undefined || SCHEMA_TYPE.test(type)) return schemaType === 'AVRO' ? AvroSchema.parse(text) : JsonSchema.parse(text);
  if (schemaType === 'PROTOBUF') {
    throw new SightlineError('SL_SCHEMA_INVALID', 'Invalid schema type PROTOBUF: Sightline registers AVRO and JSON schemas; Protobuf is not supported yet');
  }
  throw new SightlineError('SL_SCHEMA_INVALID', `Invalid schema type ${schemaType}`);
}
