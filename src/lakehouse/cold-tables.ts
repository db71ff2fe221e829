import { createHash } from 'node:crypto';
import type { ColdStore } from '../core/ports/cold-store.js';
import { IcebergTable, type LoadedTable } from './iceberg/iceberg-table.js';
import { currentSnapshot } from './iceberg/table-metadata.js';
import { aggregateTable, catalogName, DEAD_LETTERS_TABLE, EVENTS_TABLE, type TableSpec } from './iceberg/table-spec.js';
import { contractCatalogName, contractTable, contractTableFolder } from './contract-table.js';

/**
 * The snapshot summary entry that says through which export number (a commit or final number of
 * one hot store) a table holds that writer's rows; every later snapshot carries it on.
 */
export const exportedThroughKey = (writer: string): string => `sightline.exported-through.${writer}`;

/** Through which export number the table's current snapshot holds the rows of `writer`. */
export function exportedThrough(table: LoadedTable | undefined, writer: string): number {
  const snapshot = table && currentSnapshot(table.metadata);
  return Number(snapshot?.summary[exportedThroughKey(writer)] ?? 0);
}

const LIST_TTL_MS = 5_000;

export type TableDataset = 'events' | 'aggregates' | 'contracts' | 'dead_letters';

/** The namespace every Sightline table is in, for catalogs. */
export const NAMESPACE = 'sightline';

/**
 * Sightline's Iceberg tables in a cold store: `events` (folder `events/`), `dead_letters`, one per aggregation
 * (folder `aggregates/<name>/`) and one per contract subject (folder `contracts/<subject>/`, the
 * subject URI-encoded), each with its Parquet files under `dt=YYYY-MM-DD/` and its metadata under
 * `metadata/`.
 */
export class ColdTables {
  private readonly opened = new Map<string, IcebergTable>();

  constructor(
    private readonly store: ColdStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The table of a dataset: `events`, the aggregation `name`'s, or the contract subject `name`'s. */
  of(dataset: TableDataset, name = ''): IcebergTable {
    const [base, spec]: [string, () => TableSpec] =
      dataset === 'events'
        ? ['events', () => EVENTS_TABLE]
        : dataset === 'dead_letters'
          ? ['dead_letters', () => DEAD_LETTERS_TABLE]
          : dataset === 'aggregates'
            ? [`aggregates/${name}`, () => aggregateTable(name)]
            : [contractTableFolder(name), () => contractTable(name)];
    let table = this.opened.get(base);
    if (!table) {
      table = new IcebergTable(this.store, base, spec(), this.clock);
      this.opened.set(base, table);
    }
    return table;
  }

  private listed: { at: number; tables: Promise<Map<string, IcebergTable>> } | undefined;

  /**
   * Every table committed to so far, by its catalog name (`events`, `page_views`, …). Finding them
   * lists the store, so the answer is kept for a few seconds (a table is only ever added), unless
   * the caller must see a table made a moment ago (`fresh`).
   */
  list(options: { fresh?: boolean } = {}): Promise<Map<string, IcebergTable>> {
    const now = Date.now();
    if (!this.listed || now - this.listed.at > LIST_TTL_MS || options.fresh) {
      const tables = this.find();
      tables.catch(() => (this.listed = undefined));
      this.listed = { at: now, tables };
    }
    return this.listed.tables;
  }

  /** Every table committed to so far, by folder: what the housekeeping jobs and erasures go through. */
  async all(options: { fresh?: boolean } = {}): Promise<IcebergTable[]> {
    return [...new Set((await this.list(options)).values())];
  }

  private async find(): Promise<Map<string, IcebergTable>> {
    const bases = new Set<string>();
    for (const { key } of await this.store.list('')) {
      const match = /^(events|dead_letters|aggregates\/[^/]+|contracts\/[^/]+)\/metadata\/v\d+\.metadata\.json$/.exec(key);
      if (match) bases.add(match[1]!);
    }
    // events first, then the aggregations and the contracts by name.
    const named: Array<[string, IcebergTable]> = [];
    for (const base of [...bases].sort((a, b) => (a === 'events' ? -1 : b === 'events' ? 1 : a < b ? -1 : 1))) {
      const [folder, name = ''] = base.split('/');
      if (folder === 'contracts') {
        const subject = decoded(name);
        if (subject !== undefined) named.push([contractCatalogName(subject), this.of('contracts', subject)]);
      } else if (base === 'events' || base === 'dead_letters') named.push([base, this.of(base)]);
      else named.push([catalogName(name), this.of('aggregates', name)]);
    }
    // Names that only differ in characters a catalog name cannot hold (`web-app.click`,
    // `web_app.click`) would hide one table: each of them is told apart by its folder's hash.
    const count = new Map<string, number>();
    for (const [name] of named) count.set(name, (count.get(name) ?? 0) + 1);
    const out = new Map<string, IcebergTable>();
    for (const [name, table] of named) {
      const distinct = count.get(name) === 1 || table.base === 'events' || table.base === 'dead_letters' ? name : `${name}_${createHash('sha256').update(table.base).digest('hex').slice(0, 8)}`;
      out.set(distinct, table);
    }
    return out;
  }
}

/** A folder name URI-decoded; undefined for one Sightline did not write (a stray `%`). */
function decoded(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
