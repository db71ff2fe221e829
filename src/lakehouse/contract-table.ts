import { isDeepStrictEqual } from 'node:util';
import type { ContractField } from '../core/contract-field.js';
import type { TableMetadata } from './iceberg/table-metadata.js';
import { catalogName, EVENTS_TABLE, type IcebergField, type IcebergPrimitive, type TableSpec } from './iceberg/table-spec.js';

/**
 * The tables of contracts: one per subject, the events of that subject with each top-level field
 * of the payload as a typed column (`events_web_page_view` holds `web.page_view`'s events, with a
 * `url` column). The columns follow the contract: a field a new version adds becomes a new column
 * (a new schema, the next field id; older files read it as null), and nothing is ever removed or
 * renamed, so the table keeps moving whatever the contract does.
 */

/** The table property mapping each payload column's field id to the contract field it holds. */
export const PAYLOAD_FIELDS_PROPERTY = 'sightline.payload-fields';

/** The events table's first six columns (id to user_id, the same field ids), then the contract's version and the log's. */
const ENVELOPE: IcebergField[] = [
  ...EVENTS_TABLE.fields.slice(0, 6),
  { id: 7, name: 'contract_version', required: false, type: 'int', doc: 'The version of the contract the event was checked against' },
  { id: 8, name: 'late', required: true, type: 'boolean' },
  { id: 9, name: 'log_pos', required: true, type: 'long', doc: "The event's position in the log" },
];

const COLUMN_TYPES: Record<ContractField['type'], IcebergPrimitive> = { string: 'string', json: 'string', long: 'long', double: 'double', boolean: 'boolean' };

export function contractTable(subject: string): TableSpec {
  return { name: contractCatalogName(subject), partitionSource: 'event_time', timeColumn: 'timestamp', sortBy: ['timestamp', 'log_pos'], fields: ENVELOPE };
}

/** The table's folder: subjects may hold `/`, which a key would take for a folder. */
export const contractTableFolder = (subject: string): string => `contracts/${encodeURIComponent(subject)}`;

export const contractCatalogName = (subject: string): string => `events_${catalogName(subject)}`;

/** A contract table's columns: all of them, and which contract field each payload column holds. */
export interface PayloadColumns {
  fields: IcebergField[];
  /** Field id → the contract field's name. */
  payload: Record<string, string>;
  lastColumnId: number;
}

/** The columns of the table's current schema; the envelope alone before its first commit. */
export function payloadColumnsOf(metadata: TableMetadata | undefined): PayloadColumns {
  if (!metadata) return { fields: ENVELOPE, payload: {}, lastColumnId: ENVELOPE.length };
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id'])!;
  const payload = JSON.parse(metadata.properties[PAYLOAD_FIELDS_PROPERTY] ?? '{}') as Record<string, string>;
  return { fields: schema.fields, payload, lastColumnId: metadata['last-column-id'] };
}

/** For each contract field, the column that holds its values now: the newest one named for it. */
export function currentColumns(columns: PayloadColumns): Map<string, IcebergField> {
  const out = new Map<string, IcebergField>();
  for (const field of columns.fields) {
    const name = columns.payload[String(field.id)];
    if (name !== undefined) out.set(name, field);
  }
  return out;
}

/**
 * The columns once every field of `wanted` has one, or undefined when they all do. A new field
 * gets an optional column of the next id, named as the field (made an identifier; suffixed when
 * taken). A field whose type changed to one its column cannot hold (Iceberg promotes int to long
 * and float to double, and nothing this mapping produces) gets a new column `<name>_<type>`, and
 * its old column keeps the values written before.
 */
export function evolvedColumns(columns: PayloadColumns, wanted: readonly ContractField[]): PayloadColumns | undefined {
  const current = currentColumns(columns);
  // Case-insensitively: DuckDB's field-id map and many engines do not tell `ID` from `id`.
  const taken = new Set(columns.fields.map((f) => f.name.toLowerCase()));
  const fields = [...columns.fields];
  const payload = { ...columns.payload };
  let lastColumnId = columns.lastColumnId;
  for (const field of wanted) {
    const type = COLUMN_TYPES[field.type];
    const holder = current.get(field.name);
    if (holder?.type === type) continue;
    const base = holder ? `${identifier(field.name)}_${type}` : identifier(field.name);
    const free = (candidate: string): boolean => !taken.has(candidate.toLowerCase());
    let name = free(base) ? base : `payload_${base}`;
    for (let n = 2; !free(name); n++) name = `payload_${base}_${n}`;
    lastColumnId++;
    fields.push({ id: lastColumnId, name, required: false, type });
    payload[String(lastColumnId)] = field.name;
    taken.add(name.toLowerCase());
  }
  return fields.length === columns.fields.length ? undefined : { fields, payload, lastColumnId };
}

export const sameColumns = (a: PayloadColumns, b: PayloadColumns): boolean => isDeepStrictEqual(a.fields, b.fields) && isDeepStrictEqual(a.payload, b.payload);

/** A column name every engine takes unquoted: letters, digits and `_`, not starting with a digit. */
function identifier(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(plain) || plain === '' ? `_${plain}` : plain;
}
