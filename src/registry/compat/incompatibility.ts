/** One reason a schema cannot read data written with another. */
export interface Incompatibility {
  /** Avro's SchemaCompatibility kind, or Confluent's JSON Schema difference type. */
  errorType: string;
  /** A JSON pointer: into the reader schema for Avro, into the schemas for JSON Schema (`#/…`). */
  path: string;
  /** What changed, naming the two schemas by their role ("new", "old"). */
  description: string;
  /** The detail: the missing field, the two types, the missing symbols. */
  additionalInfo?: string;
}

/** How the two schemas of a check are named in messages: BACKWARD reads old data with the new schema. */
export interface RoleLabels {
  reader: 'new' | 'old';
  writer: 'new' | 'old';
}

/** Confluent's rendering, kept so tools that parse its 409 messages keep working. */
export function formatIncompatibility(i: Incompatibility): string {
  const info = i.additionalInfo === undefined ? '' : `, additionalInfo:'${i.additionalInfo}'`;
  return `{errorType:'${i.errorType}', description:'${i.description}'${info}}`;
}
