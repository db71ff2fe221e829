import type { ColdStore } from '../core/ports/cold-store.js';
import { IcebergTable, type LoadedTable } from './iceberg/iceberg-table.js';
import { currentSnapshot } from './iceberg/table-metadata.js';
import { aggregateTable, catalogName, EVENTS_TABLE } from './iceberg/table-spec.js';

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

/** The namespace every Sightline table is in, for catalogs. */
export const NAMESPACE = 'sightline';

/**
 * Sightline's Iceberg tables in a cold store: `events` (folder `events/`) and one per aggregation
 * (folder `aggregates/<name>/`), each with its Parquet files under `dt=YYYY-MM-DD/` and its
 * metadata under `metadata/`.
 */
export class ColdTables {
  private readonly opened = new Map<string, IcebergTable>();

  constructor(
    private readonly store: ColdStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The table of a dataset: `events`, or the aggregation `name`'s. */
  of(dataset: 'events' | 'aggregates', name = ''): IcebergTable {
    const base = dataset === 'events' ? 'events' : `aggregates/${name}`;
    let table = this.opened.get(base);
    if (!table) {
      table = new IcebergTable(this.store, base, dataset === 'events' ? EVENTS_TABLE : aggregateTable(name), this.clock);
      this.opened.set(base, table);
    }
    return table;
  }

  private listed: { at: number; tables: Promise<Map<string, IcebergTable>> } | undefined;

  /**
   * Every table committed to so far, by its catalog name (`events`, `page_views`, …). Finding them
   * lists the store, so the answer is kept for a few seconds (a table is only ever added).
   */
  list(): Promise<Map<string, IcebergTable>> {
    const now = Date.now();
    if (!this.listed || now - this.listed.at > LIST_TTL_MS) {
      const tables = this.find();
      tables.catch(() => (this.listed = undefined));
      this.listed = { at: now, tables };
    }
    return this.listed.tables;
  }

  private async find(): Promise<Map<string, IcebergTable>> {
    const out = new Map<string, IcebergTable>();
    const bases = new Set<string>();
    for (const { key } of await this.store.list('')) {
      const match = /^(events|aggregates\/[^/]+)\/metadata\/v\d+\.metadata\.json$/.exec(key);
      if (match) bases.add(match[1]!);
    }
    // events first, then the aggregations by name.
    for (const base of [...bases].sort((a, b) => (a === 'events' ? -1 : b === 'events' ? 1 : a < b ? -1 : 1))) {
      const table = base === 'events' ? this.of('events') : this.of('aggregates', base.slice('aggregates/'.length));
      out.set(base === 'events' ? 'events' : catalogName(base.slice('aggregates/'.length)), table);
    }
    return out;
  }
}
