import avro from 'avsc';
import { SightlineError } from '../../core/errors.js';
import { avroReadProblems } from '../compat/avro-compat.js';
import type { Incompatibility, RoleLabels } from '../compat/incompatibility.js';
import type { ParsedSchema, PayloadViolation } from './schema-type.js';

/**
 * An Avro schema, parsed by avsc. The canonical form is avsc's full schema export in compact JSON:
 * it keeps defaults, aliases and custom attributes (Confluent keeps them too, unlike Avro's
 * Parsing Canonical Form, because they matter for compatibility).
 */
export class AvroSchema implements ParsedSchema {
  readonly type = 'AVRO' as const;

  private constructor(readonly avroType: avro.Type, readonly canonical: string) {}

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
    return new AvroSchema(type, JSON.stringify(type.schema({ exportAttrs: true })));
  }

  readProblems(writer: ParsedSchema, labels: RoleLabels): Incompatibility[] {
    if (!(writer instanceof AvroSchema)) return [differentType()];
    return avroReadProblems(this.avroType, writer.avroType, labels);
  }

  validate(payload: unknown): PayloadViolation | undefined {
    let violation: PayloadViolation | undefined;
    const ok = this.avroType.isValid(payload, {
      errorHook: (path, value, type) => {
        violation ??= { path: `/${path.join('/')}`, message: `${describeValue(value)} is not a valid ${type.typeName}` };
      },
    });
    return ok ? undefined : (violation ?? { path: '/', message: 'the payload does not match the schema' });
  }

  decode(body: Buffer): unknown {
    return toJsonValue(this.avroType.fromBuffer(body));
  }
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
