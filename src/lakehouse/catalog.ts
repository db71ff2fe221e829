import type { LoadedTable } from './iceberg/iceberg-table.js';
import type { TableMetadata } from './iceberg/table-metadata.js';
import { type ColdTables, NAMESPACE } from './cold-tables.js';

/** A table as a catalog lists it: its name, and the dataset access control knows it by. */
export interface CatalogEntry {
  name: string;
  /** `events` or `aggregates/<name>`, the resource of the `query:read` scope. */
  dataset: string;
}

/** The dataset a table is read as: a contract table holds events, so reading it is reading `events`. */
const datasetOf = (base: string): string => (base.startsWith('contracts/') ? 'events' : base);

/** What the Iceberg REST catalog serves: the namespace, its tables and their current metadata. */
export interface TableCatalog {
  readonly namespace: string;
  list(): Promise<CatalogEntry[]>;
  /** The current metadata of a table, or undefined when the namespace has no such table. */
  load(name: string): Promise<(LoadedTable & { dataset: string }) | undefined>;
  /** Table properties readers need to reach the files (an object store's endpoint and region). */
  readonly fileIoProperties: Record<string, string>;
}

/** The catalog of the tables in one cold store. */
export class ColdTableCatalog implements TableCatalog {
  readonly namespace = NAMESPACE;

  constructor(
    private readonly tables: ColdTables,
    readonly fileIoProperties: Record<string, string> = {},
  ) {}

  async list(): Promise<CatalogEntry[]> {
    return [...(await this.tables.list())].map(([name, table]) => ({ name, dataset: datasetOf(table.base) }));
  }

  async load(name: string): Promise<(LoadedTable & { dataset: string }) | undefined> {
    const table = (await this.tables.list()).get(name);
    const loaded = await table?.load();
    return loaded && table ? { ...loaded, dataset: datasetOf(table.base) } : undefined;
  }
}

/** The metadata with only the snapshots that refs point at (the REST API's `snapshots=refs`). */
export function withRefSnapshotsOnly(metadata: TableMetadata): TableMetadata {
  const referenced = new Set(Object.values(metadata.refs).map((r) => r['snapshot-id']));
  return { ...metadata, snapshots: metadata.snapshots.filter((s) => referenced.has(s['snapshot-id'])) };
}
