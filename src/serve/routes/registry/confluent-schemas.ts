import { COMPATIBILITY_LEVELS } from '../../../core/ports/schema-store.js';
import { SUBJECT_PATTERN, VERSION_PATTERN, LEVEL_PATTERN } from '../../../registry/registry-input.js';
import { SCHEMA_TYPE_PATTERN, SCHEMA_TYPES } from '../../../registry/types/parse-schema.js';
import { errorBodySchema } from '../../errors.js';
import { REGISTRY_CONTENT_TYPE } from './confluent-errors.js';

// The OpenAPI description of the Confluent routes. They check their input themselves, with the
// error codes and messages Confluent's clients expect, so these schemas only document what the
// handlers take and answer; the patterns are the very ones the registry checks with.

/**
 * Bodies are JSON under any of these types. Confluent also takes a body with no type or any
 * other; Sightline refuses those (415), as a web page can send them anywhere without a preflight.
 */
export const BODY_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'];

export function registryBody(schema: object, description: string) {
  return { description, content: Object.fromEntries(BODY_TYPES.map((type) => [type, { schema }])) };
}

/** A response in the registry's content type. */
function answer(description: string, schema: object) {
  return { description, content: { [REGISTRY_CONTENT_TYPE]: { schema } } };
}

/** Confluent's error body, {error_code, message}, with our code beside it. */
export function registryErrors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const ours = errorBodySchema(status);
      const schema = { ...ours, required: ['error_code', ...ours.required], properties: { error_code: { type: 'integer' }, ...ours.properties } };
      return [status, answer(`${ours.description}, with Confluent's numeric error_code`, schema)];
    }),
  );
}

/** A query flag: "true" turns it on, any other value (or none) leaves it off, as the handlers read it. */
export const flagParam = (description: string) => ({ type: 'string', description: `"true": ${description}; any other value: false` });

export const subjectParam = { type: 'string', description: 'The subject (any string; one never registered is a 404)' };
/** Where the registry checks the subject (registering, setting a level): 422 when it does not match. */
export const newSubjectParam = { type: 'string', pattern: SUBJECT_PATTERN, description: '1 to 255 characters without control characters' };
export const versionParam = { type: 'string', pattern: VERSION_PATTERN, description: 'A version number from 1 to 2^31-1, "latest" or -1 (latest)' };
export const idParam = { type: 'string', description: 'A global schema id (anything else is a 404)' };

export const params = (properties: Record<string, object>) => ({ type: 'object', required: Object.keys(properties), properties });

export const SCHEMA_INPUT = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: { not: { type: 'null' }, description: 'The schema text; an Avro schema may also be given as JSON. One that does not parse is a 422.' },
    schemaType: { type: 'string', pattern: SCHEMA_TYPE_PATTERN, description: `${SCHEMA_TYPES.join(' or ')}, in any case (default AVRO)` },
    references: { type: 'array', maxItems: 0, description: 'Schema references are not supported: an empty list, or none' },
  },
} as const;

export const LEVEL_INPUT = {
  type: 'object',
  required: ['compatibility'],
  properties: { compatibility: { type: 'string', pattern: LEVEL_PATTERN, description: `${COMPATIBILITY_LEVELS.join(', ')}, in any case` } },
} as const;

const level = { type: 'string', enum: [...COMPATIBILITY_LEVELS] };
const SCHEMA_ENTITY = {
  type: 'object',
  required: ['subject', 'version', 'id', 'schema'],
  additionalProperties: false,
  properties: {
    subject: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    id: { type: 'integer', minimum: 1 },
    schemaType: { type: 'string', enum: SCHEMA_TYPES.filter((t) => t !== 'AVRO'), description: 'absent for AVRO' },
    schema: { type: 'string' },
  },
};

/** The 200 answers of the registry routes. */
export const OK = {
  empty: answer('An empty object', { type: 'object', additionalProperties: false }),
  schemaTypes: answer('The schema types', { type: 'array', items: { type: 'string', enum: [...SCHEMA_TYPES] } }),
  mode: answer('The mode', { type: 'object', required: ['mode'], additionalProperties: false, properties: { mode: { type: 'string', enum: ['READWRITE'] } } }),
  subjects: answer('Subject names', { type: 'array', items: { type: 'string' } }),
  versions: answer('Version numbers', { type: 'array', items: { type: 'integer', minimum: 1 } }),
  version: answer('A version number', { type: 'integer', minimum: 1 }),
  schemaEntity: answer('The subject, version, id, type and schema', SCHEMA_ENTITY),
  schemaText: answer('The schema text itself (JSON)', {}),
  noIds: answer('Schema ids (references are not supported: none)', { type: 'array', items: { type: 'integer' }, maxItems: 0 }),
  id: answer('The global id', { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'integer', minimum: 1 } } }),
  schemaById: answer('The type and schema of an id', {
    type: 'object',
    required: ['schema'],
    additionalProperties: false,
    properties: { schemaType: SCHEMA_ENTITY.properties.schemaType, schema: { type: 'string' } },
  }),
  usages: answer('Subject-versions', {
    type: 'array',
    items: { type: 'object', required: ['subject', 'version'], additionalProperties: false, properties: { subject: { type: 'string' }, version: { type: 'integer' } } },
  }),
  compatibility: answer('Whether the schema is compatible, and with verbose=true why not', {
    type: 'object',
    required: ['is_compatible'],
    additionalProperties: false,
    properties: { is_compatible: { type: 'boolean' }, messages: { type: 'array', items: { type: 'string' } } },
  }),
  levelIs: answer('The compatibility level', { type: 'object', required: ['compatibilityLevel'], additionalProperties: false, properties: { compatibilityLevel: level } }),
  levelSet: answer('The level set', { type: 'object', required: ['compatibility'], additionalProperties: false, properties: { compatibility: level } }),
};
