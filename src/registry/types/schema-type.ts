import type { SchemaType } from '../../core/ports/schema-store.js';
import type { ContractField } from '../../core/contract-field.js';
import type { Incompatibility, RoleLabels } from '../compat/incompatibility.js';

/** A schema's failure on one payload: where (a JSON pointer into the payload) and why. */
export interface PayloadViolation {
  path: string;
  message: string;
}

/** A schema parsed and checked once, then used for compatibility checks and payload validation. */
export interface ParsedSchema {
  readonly type: SchemaType;
  /** The compact form stored and served; two schemas with the same canonical form share an id. */
  readonly canonical: string;
  /** Problems reading data written with `writer` using this schema; empty when it can. */
  readProblems(writer: ParsedSchema, labels: RoleLabels): Incompatibility[];
  /** Checks a decoded payload; undefined when it conforms. */
  validate(payload: unknown): PayloadViolation | undefined;
  /** Decodes a body in this schema's binary encoding (after the Confluent wire header) into JSON values. */
  decode(body: Buffer): unknown;
  /** The top-level fields of the payload, as the columns of the contract's table. */
  fields(): ContractField[];
}
