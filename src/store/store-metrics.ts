import { Counter, Gauge, type Registry } from 'prom-client';
import { type ColdStore, totalsByDataset } from '../core/ports/cold-store.js';
import type { StoreAdmin } from '../core/ports/store-admin.js';

export interface StoreMetricSources {
  hot: StoreAdmin;
  cold: ColdStore;
  coldRowsWritten: () => Readonly<Record<string, number>>;
}

/**
 * The stores' metrics beside the base set: rows and bytes of the hot store, files and bytes per
 * dataset of the cold store, rows exported. Each scrape reads the store once.
 */
export function registerStoreMetrics(registry: Registry, sources: StoreMetricSources): void {
  const registers = [registry];
  // Gauges fed by one reading (row counts and size, the cold listing) read it once per scrape.
  const hotStats = oncePerScrape(() => sources.hot.stats());
  new Gauge({
    name: 'sightline_hot_store_rows',
    help: 'Rows per table of the hot store.',
    labelNames: ['table'],
    registers,
    async collect() {
      this.reset();
      for (const t of (await hotStats()).tables) this.set({ table: t.table }, t.rows);
    },
  });
  new Gauge({
    name: 'sightline_hot_store_size_bytes',
    help: 'Bytes of the hot store on disk (database file and WAL).',
    registers,
    async collect() {
      this.set((await hotStats()).bytes);
    },
  });
  const coldDatasets = oncePerScrape(() => sources.cold.list('').then(totalsByDataset));
  new Gauge({
    name: 'sightline_cold_store_files',
    help: 'Parquet files per dataset in the cold store.',
    labelNames: ['dataset'],
    registers,
    async collect() {
      this.reset();
      for (const [dataset, d] of await coldDatasets()) this.set({ dataset }, d.files);
    },
  });
  new Gauge({
    name: 'sightline_cold_store_size_bytes',
    help: 'Bytes of Parquet per dataset in the cold store.',
    labelNames: ['dataset'],
    registers,
    async collect() {
      this.reset();
      for (const [dataset, d] of await coldDatasets()) this.set({ dataset }, d.bytes);
    },
  });
  new Counter({
    name: 'sightline_cold_store_rows_written_total',
    help: 'Rows exported to Parquet per dataset (since start).',
    labelNames: ['dataset'],
    registers,
    collect() {
      this.reset();
      for (const [dataset, rows] of Object.entries(sources.coldRowsWritten())) this.inc({ dataset }, rows);
    },
  });
}

/**
 * The gauges of one scrape share one store query or listing: `read` again once the last reading
 * has finished more than SCRAPE_MS ago. Short, because readers other than Prometheus (the
 * dashboard's history sampler) collect too, and a reading from before their collection must not
 * stand in for a scrape a moment later.
 */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { done: number | undefined; value: Promise<T> } | undefined;
  return () => {
    if (!last || (last.done !== undefined && Date.now() - last.done > SCRAPE_MS)) {
      const reading: { done: number | undefined; value: Promise<T> } = { done: undefined, value: read() };
      reading.value.finally(() => (reading.done = Date.now())).catch(() => undefined);
      last = reading;
    }
    return last.value;
  };
}

const SCRAPE_MS = 50;

/** A serving node's loader of processed batches: what it has not loaded yet, per rows-topic partition. */
export function registerLoaderMetrics(registry: Registry, backlog: () => Map<number, number>): void {
  new Gauge({
    name: 'sightline_sink_lag_records',
    help: 'Records of the rows topic (processed batches) not yet loaded into this serving node, per partition.',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [partition, lag] of backlog()) this.set({ partition }, lag);
    },
  });
}
