import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { SightlineError } from '../../core/errors.js';
import { ajvLinearRegExp } from '../../core/linear-regexp.js';
import type { Incompatibility, RoleLabels } from '../compat/incompatibility.js';
import { jsonSchemaReadProblems } from '../compat/json-schema-diff.js';
import { differentType } from './avro-schema.js';
import { useLinearUniqueItems } from './linear-unique-items.js';
import type { ParsedSchema, PayloadViolation } from './schema-type.js';
import type { ContractField } from '../../core/contract-field.js';
import { jsonSchemaFields } from './contract-fields.js';

const DRAFT_06 = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json') as object;

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Draft = 'draft-07' | '2019-09' | '2020-12';

/**
 * One compiler per draft, replaced after COMPILES_PER_COMPILER schemas: an Ajv instance keeps
 * the code it generated for every schema it compiled, so one that parses candidates all day
 * (lookups, compatibility checks, `sightline schema check`) would grow without bound, and making
 * one costs about 10 ms, too much per parse. A retired instance is freed once no schema compiled
 * by it is in use. Not strict: keywords Ajv does not know (vendor annotations) are allowed, as
 * Confluent allows them.
 */
const COMPILES_PER_COMPILER = 100;
const compilers = new Map<Draft, { ajv: Ajv; compiles: number }>();

function compiler(draft: Draft): Ajv {
  let current = compilers.get(draft);
  if (!current || current.compiles >= COMPILES_PER_COMPILER) {
    // Patterns come from whoever registers a schema: they run on a linear-time engine, and one it
    // cannot take (a lookaround, a backreference) fails the registration with the reason.
    const options = { strict: false, allErrors: false, validateFormats: true, code: { regExp: ajvLinearRegExp } };
    const ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
    if (draft === 'draft-07') ajv.addMetaSchema(DRAFT_06);
    addFormats(ajv);
    useLinearUniqueItems(ajv);
    current = { ajv, compiles: 0 };
    compilers.set(draft, current);
  }
  current.compiles++;
  return current.ajv;
}

/** Compiles, then drops the schema from the instance so that another version may reuse its `$id`. */
function compileOnce(ajv: Ajv, document: object | boolean): ValidateFunction {
  try {
    return ajv.compile(document);
  } finally {
    // A boolean schema (`true`, `false`) is not kept by Ajv, and removing one throws.
    if (typeof document === 'object') ajv.removeSchema(document);
  }
}

function draftOf(schema: unknown): Draft {
  const uri = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (uri === undefined) return 'draft-07';
  if (typeof uri !== 'string') throw invalid('$schema must be a string');
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  if (/draft-0[67]/.test(uri)) return 'draft-07';
  throw invalid(`$schema ${uri} is not supported; use draft-07, 2019-09 or 2020-12`);
}

/** A JSON Schema (drafts 7, 2019-09 and 2020-12), compiled by Ajv. Canonical form: compact JSON, key order kept (as Confluent). */
export class JsonSchema implements ParsedSchema {
  readonly type = 'JSON' as const;

  private constructor(readonly document: boolean | Record<string, unknown>, readonly canonical: string, private readonly check: ValidateFunction) {}

  static parse(text: string): JsonSchema {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      throw invalid(`Invalid schema ${text}, details: not JSON: ${(err as Error).message}`);
    }
    if (typeof document !== 'boolean' && (typeof document !== 'object' || document === null || Array.isArray(document))) {
      throw invalid('a JSON Schema must be an object or a boolean');
    }
    let check: ValidateFunction;
    try {
      check = compileOnce(compiler(draftOf(document)), document as object | boolean);
    } catch (err) {
      if (err instanceof SightlineError) throw err;
      throw invalid(`Invalid schema ${text} of type JSON, details: ${(err as Error).message}`);
    }
    return new JsonSchema(document as boolean | Record<string, unknown>, JSON.stringify(document), check);
  }

  readProblems(writer: ParsedSchema, labels: RoleLabels): Incompatibility[] {
    if (!(writer instanceof JsonSchema)) return [differentType()];
    return jsonSchemaReadProblems(this.document, writer.document, labels);
  }

  validate(payload: unknown): PayloadViolation | undefined {
    if (this.check(payload)) return undefined;
    const error = this.check.errors?.[0];
    if (!error) return { path: '/', message: 'the payload does not match the schema' };
    const extra = error.keyword === 'additionalProperties' ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : '';
    return { path: error.instancePath || '/', message: `${error.message ?? 'is invalid'}${extra}` };
  }

  decode(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new SightlineError('SL_CONTRACT_WIRE_INVALID', `the payload after the wire header is not JSON: ${(err as Error).message}`);
    }
  }

  fields(): ContractField[] {
    return jsonSchemaFields(this.document);
  }
}

function invalid(message: string): SightlineError {
  return new SightlineError('SL_SCHEMA_INVALID', message);
}
