import avro from 'avsc';
import { SightlineError } from '../../core/errors.js';
import { avroReadProblems } from '../compat/avro-compat.js';
import type { Incompatibility, RoleLabels } from '../compat/incompatibility.js';
import { zeroByteItemArray } from './avro-zero-byte-arrays.js';
import type { ParsedSchema, PayloadViolation } from './schema-type.js';
import type { ContractField } from '../../core/contract-field.js';
import { avroFields } from './contract-fields.js';

/**
 * An Avro schema, parsed by avsc. The canonical form is avsc's full schema export in compact JSON:
 * it keeps defaults, aliases and custom attributes (Confluent keeps them too, unlike Avro's
 * Parsing Canonical Form, because they matter for compatibility).
 */
export class AvroSchema implements ParsedSchema {
  readonly type = 'AVRO' as const;

  private constructor(
    readonly avroType: avro.Type,
    readonly canonical: string,
    /** The same schema with bytes and fixed read as strings: what a JSON payload can carry. */
    private readonly jsonType: avro.Type,
  ) {}

  static parse(text: string): AvroSchema {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw invalid(`Invalid schema ${text}, details: not JSON: ${(err as Error).message}`);
    }
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(json as avro.Schema, { wrapUnions: 'auto' });
    } catch (err) {
      throw invalid(`Invalid schema ${text} of type AVRO, details: ${(err as Error).message}`);
    }
    const bomb = zeroByteItemArray(type);
    if (bomb !== null) {
      throw invalid(
        `Invalid schema ${text} of type AVRO, details: the array at ${bomb || '/'} has items that take no bytes (null, an empty record, fixed of size 0), ` +
          'so a payload of a few bytes can claim billions of them; Sightline does not register such arrays',
      );
    }
    const exported = type.schema({ exportAttrs: true });
    return new AvroSchema(type, JSON.stringify(exported), avro.Type.forSchema(bytesAsStrings(exported, new Set()) as avro.Schema, { wrapUnions: 'auto' }));
  }

  readProblems(writer: ParsedSchema, labels: RoleLabels): Incompatibility[] {
    if (!(writer instanceof AvroSchema)) return [differentType()];
    return avroReadProblems(this.avroType, writer.avroType, labels);
  }

  validate(payload: unknown): PayloadViolation | undefined {
    let violation: PayloadViolation | undefined;
    const ok = this.jsonType.isValid(payload, {
      // A field the schema does not declare would be stored and served, unvalidated.
      noUndeclaredFields: true,
      errorHook: (path, value, type) => {
        violation ??= {
          path: `/${path.join('/')}`,
          message: type.typeName === 'record' && value !== null && typeof value === 'object' ? `has fields the schema does not declare` : `${describeValue(value)} is not a valid ${type.typeName}`,
        };
      },
    });
    return ok ? undefined : (violation ?? { path: '/', message: 'the payload does not match the schema' });
  }

  decode(body: Buffer): unknown {
    return toJsonValue(this.avroType.fromBuffer(body));
  }

  fields(): ContractField[] {
    return avroFields(this.avroType);
  }
}

/**
 * A schema (as avsc exports it: full names, each named type defined once then referenced) with
 * every bytes and fixed type, and every reference to a fixed, replaced by string: in JSON, Avro
 * writes bytes as a string of one character per byte.
 */
function bytesAsStrings(schema: unknown, fixedNames: Set<string>): unknown {
  if (typeof schema === 'string') return schema === 'bytes' || fixedNames.has(schema) ? 'string' : schema;
  if (Array.isArray(schema)) return schema.map((s) => bytesAsStrings(s, fixedNames));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Record<string, unknown>;
  if (s.type === 'bytes') return 'string';
  if (s.type === 'fixed') {
    fixedNames.add(String(s.name));
    return 'string';
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default') out[k] = v;
    else if (k === 'fields' && Array.isArray(v)) out[k] = v.map((f: Record<string, unknown>) => ({ ...f, type: bytesAsStrings(f.type, fixedNames) }));
    else if (k === 'type' || k === 'items' || k === 'values') out[k] = bytesAsStrings(v, fixedNames);
    else out[k] = v;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'a missing value';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** avsc gives records as class instances and bytes as Buffers; events store plain JSON (bytes as Avro's JSON encoding: one char per byte). */
function toJsonValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = toJsonValue((value as Record<string, unknown>)[key]);
  return out;
}

export function differentType(): Incompatibility {
  return { errorType: 'TYPE_MISMATCH', path: '/', description: 'Incompatible because of different schema type' };
}

function invalid(message: string): SightlineError {
  return new SightlineError('SL_SCHEMA_INVALID', message);
}
