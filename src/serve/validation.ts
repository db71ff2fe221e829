import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * How the API validates requests against their route schemas (which are also the OpenAPI
 * document): query strings, path parameters and headers are text, so `"5"` is read as the
 * integer a schema asks for; a JSON body already says what its values are, so it is taken as
 * sent: `null` is not `false`, `26993` is not the string "26993".
 */
export function requestValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  // Fastify's own defaults, but for coercion and for extra properties (kept, not removed).
  const options: Options = { useDefaults: true, removeAdditional: false, addUsedSchema: false, allErrors: false };
  const text = addFormats(new Ajv({ ...options, coerceTypes: true }));
  const json = addFormats(new Ajv({ ...options, coerceTypes: false }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? json : text).compile(schema as object);
}
