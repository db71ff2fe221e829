import { SightlineError } from '../../core/errors.js';
import type { SchemaType } from '../../core/ports/schema-store.js';
import { AvroSchema } from './avro-schema.js';
import { JsonSchema } from './json-schema.js';
import type { ParsedSchema } from './schema-type.js';

export const SCHEMA_TYPES: readonly SchemaType[] = ['AVRO', 'JSON'];

/** Parses a schema of a registered type; a missing type means AVRO, as in Confluent's API. */
export function parseSchema(text: string, type: string | undefined): ParsedSchema {
  const schemaType = (type ?? 'AVRO').toUpperCase();
  if (text.trim() === '') throw new SightlineError('SL_SCHEMA_INVALID', 'Empty schema');
  if (schemaType === 'AVRO') return AvroSchema.parse(text);
  if (schemaType === 'JSON') return JsonSchema.parse(text);
  if (schemaType === 'PROTOBUF') {
    throw new SightlineError('SL_SCHEMA_INVALID', 'Invalid schema type PROTOBUF: Sightline registers AVRO and JSON schemas; Protobuf is not supported yet');
  }
  throw new SightlineError('SL_SCHEMA_INVALID', `Invalid schema type ${schemaType}`);
}
