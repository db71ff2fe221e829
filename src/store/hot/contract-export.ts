import type { DuckDBConnection } from '@duckdb/node-api';
import type { ContractFieldSource } from '../../core/contract-field.js';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { currentColumns, evolvedColumns, PAYLOAD_FIELDS_PROPERTY, type PayloadColumns, payloadColumnsOf, sameColumns } from '../../lakehouse/contract-table.js';
import type { LoadedTable } from '../../lakehouse/iceberg/iceberg-table.js';
import type { IcebergField, IcebergPrimitive } from '../../lakehouse/iceberg/table-spec.js';
import { sqlText } from './data-file-copy.js';
import { exportByPosition, type TableShape } from './position-export.js';

export interface ContractExport {
  conn: DuckDBConnection;
  cold: ColdStore;
  tables: ColdTables;
  contracts: ContractFieldSource;
  writer: string;
  logId: string | undefined;
  encryptionCopy: string;
  /** The WHERE clause of the export's rows in the hot store's `events`. */
  range: string;
  toNo: number;
  fileName: string;
}

const SQL_CASTS: Partial<Record<IcebergPrimitive, string>> = { long: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', int: 'INTEGER' };

/**
 * Exports one range of events to the contract tables: for each subject with a contract, its rows
 * with the payload's fields as columns, one file per day and one snapshot per table. A table whose
 * contract gained fields gains the columns in the same commit (a new schema). Answers the files
 * written, by key.
 */
export async function exportContractTables(x: ContractExport): Promise<{ keys: string[]; rows: number; bytes: number }> {
  const subjects = await x.conn.runAndReadAll(`SELECT DISTINCT source || '.' || type FROM events WHERE ${x.range}`);
  const out = { keys: [] as string[], rows: 0, bytes: 0 };
  for (const [subjectValue] of subjects.getRows()) {
    const subject = String(subjectValue);
    const wanted = x.contracts.fields(subject);
    if (!wanted) continue;
    const table = x.tables.of('contracts', subject);
    const shape = (current: LoadedTable | undefined): TableShape => {
      const before = payloadColumnsOf(current?.metadata);
      const columns = evolvedColumns(before, wanted) ?? before;
      return {
        spec: { ...table.spec, fields: columns.fields },
        select: contractRowsSelect(columns),
        schema: { fields: columns.fields, properties: { [PAYLOAD_FIELDS_PROPERTY]: JSON.stringify(columns.payload) } },
        verify(latest) {
          const now = payloadColumnsOf(latest?.metadata);
          // Another writer changed the schema since the files were written: their field ids may
          // not be the table's. The export runs again.
          if (!sameColumns(evolvedColumns(now, wanted) ?? now, columns)) {
            throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: its schema changed during an export; the export is retried`, { retryable: true });
          }
        },
      };
    };
    const where = `${x.range} AND source || '.' || type = $1`;
    const written = await exportByPosition({ ...x, table, where, params: [subject], shape });
    out.keys.push(...written.keys);
    out.rows += written.rows;
    out.bytes += written.bytes;
  }
  return out;
}

/**
 * The SELECT list that makes rows of the hot store's `events` (payload and metadata as JSON) into
 * rows of a contract table. A value of the wrong kind for its column (an event checked against an
 * older version, where the field had another type) is null, not an error.
 */
export function contractRowsSelect(columns: PayloadColumns): string {
  const current = new Set([...currentColumns(columns).values()].map((f) => f.id));
  const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  const payloadColumn = (field: IcebergField, contractField: string): string => {
    const cast = SQL_CASTS[field.type];
    if (!current.has(field.id)) return `CAST(NULL AS ${cast ?? 'VARCHAR'}) AS ${quoted(field.name)}`;
    const pointer = sqlText(`/${contractField.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    // Strings as they are, anything else (an object, an array) as its JSON text.
    const value = cast
      ? `TRY_CAST(payload->>${pointer} AS ${cast})`
      : `CASE json_type(payload, ${pointer}) WHEN 'VARCHAR' THEN payload->>${pointer} WHEN 'NULL' THEN NULL ELSE (payload->${pointer})::VARCHAR END`;
    return `${value} AS ${quoted(field.name)}`;
  };
  const envelope: Record<string, string> = {
    event_time: 'make_timestamp(timestamp * 1000) AS event_time',
    contract_version: "TRY_CAST(metadata->>'/contract/version' AS INTEGER) AS contract_version",
  };
  return columns.fields
    .map((f) => {
      const contractField = columns.payload[String(f.id)];
      return contractField === undefined ? (envelope[f.name] ?? quoted(f.name)) : payloadColumn(f, contractField);
    })
    .join(', ');
}
