import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { SightlineError } from '../../core/errors.js';
import type { Incompatibility, RoleLabels } from '../compat/incompatibility.js';
import { jsonSchemaReadProblems } from '../compat/json-schema-diff.js';
import { differentType } from './avro-schema.js';
import type { ParsedSchema, PayloadViolation } from './schema-type.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Draft = 'draft-07' | '2019-09' | '2020-12';

/**
 * One compiler per draft, made once. `addUsedSchema: false` keeps compiled schemas out of the
 * instance, so two versions of one contract may carry the same `$id`. Not strict: keywords Ajv
 * does not know (vendor annotations) are allowed, as Confluent allows them.
 */
const compilers = new Map<Draft, Ajv>();
function compiler(draft: Draft): Ajv {
  let ajv = compilers.get(draft);
  if (!ajv) {
    const options = { strict: false, addUsedSchema: false, allErrors: false, validateFormats: true };
    ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    compilers.set(draft, ajv);
  }
  return ajv;
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
      check = compiler(draftOf(document)).compile(document as object);
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
}

function invalid(message: string): SightlineError {
  return new SightlineError('SL_SCHEMA_INVALID', message);
}
