import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { DashboardHistory } from '../dashboard-history.js';

const UI_DIR = fileURLToPath(new URL('../../../../ui/', import.meta.url));
// Resolved like an import, so it is found wherever npm placed the package.
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js')) + '/';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui': { file: `${UI_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: `${UI_DIR}app.js`, type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: `${UI_DIR}style.css`, type: 'text/css; charset=utf-8' },
  '/ui/vendor/uPlot.iife.min.js': { file: `${UPLOT_DIR}uPlot.iife.min.js`, type: 'text/javascript; charset=utf-8' },
  '/ui/vendor/uPlot.min.css': { file: `${UPLOT_DIR}uPlot.min.css`, type: 'text/css; charset=utf-8' },
};

type Values = MetricObjectWithValues<MetricValue<string>>;

const group = { type: 'object', additionalProperties: true };
const DASHBOARD_SCHEMA = {
  type: 'object',
  required: ['time', 'throughput', 'ingest', 'errors', 'process', 'freshness', 'stores', 'serving'],
  additionalProperties: false,
  properties: { time: { type: 'integer' }, throughput: { type: 'array', items: group }, ingest: group, errors: group, process: group, freshness: group, stores: group, serving: group },
};

/**
 * The live dashboard: the page at /ui (uPlot charts, polling) and the numbers it draws, at
 * GET /v1/dashboard. They come from the same metrics registry Prometheus scrapes, so the page,
 * Grafana and the alerts agree.
 */
export async function dashboardRoutes(app: FastifyInstance, opts: { metrics: Registry; historyIntervalMs?: number }): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const [path, asset] of Object.entries(ASSETS)) files.set(path, await readFile(asset.file));
  for (const [path, asset] of Object.entries(ASSETS)) {
    app.get(path, { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(files.get(path)));
  }
  app.get('/ui/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui'));

  const schema = { summary: 'The live numbers behind /ui (totals since start; the page derives rates)', tags: ['operations'], response: { 200: DASHBOARD_SCHEMA } };
  app.get('/v1/dashboard', { config: { access: { scope: 'ops:read' } }, schema }, async () => dashboardSample(opts.metrics));

  // Kept on the server, so the page shows the last hour as soon as it opens, not only what it polled.
  const history = new DashboardHistory(() => dashboardSample(opts.metrics), opts.historyIntervalMs ?? HISTORY_INTERVAL_MS, HISTORY_KEEP_MS);
  history.start();
  app.addHook('onClose', async () => history.stop());
  const historySchema = {
    summary: 'The numbers behind /ui over the last hour, sampled on the server, oldest first',
    tags: ['operations'],
    response: { 200: { type: 'object', required: ['samples'], additionalProperties: false, properties: { samples: { type: 'array', items: DASHBOARD_SCHEMA } } } },
  };
  app.get('/v1/dashboard/history', { config: { access: { scope: 'ops:read' } }, schema: historySchema }, async () => ({ samples: history.samples() }));
}

const HISTORY_INTERVAL_MS = 10_000;
const HISTORY_KEEP_MS = 3_600_000;

/** One reading of the numbers /ui draws, from the registry Prometheus scrapes. */
async function dashboardSample(metrics: Registry): Promise<Record<string, unknown>> {
  const byName = new Map((await metrics.getMetricsAsJSON()).map((m) => [m.name, m as Values]));
  const values = (name: string) => byName.get(name)?.values ?? [];
  const sum = (name: string, where: Record<string, string> = {}) =>
    values(name)
      .filter((v) => Object.entries(where).every(([k, w]) => v.labels[k] === w))
      .reduce((s, v) => s + v.value, 0);
  const byLabel = (name: string, label: string, where: Record<string, string> = {}) => {
    const out: Record<string, number> = {};
    for (const v of values(name)) {
      if (!Object.entries(where).every(([k, w]) => v.labels[k] === w)) continue;
      const key = String(v.labels[label]);
      out[key] = (out[key] ?? 0) + v.value;
    }
    return out;
  };
  const single = (name: string) => (values(name)[0] ? values(name)[0]!.value : null);
  return {
    time: Date.now(),
    throughput: values('sightline_ingest_events_total').map((v) => ({ source: v.labels.source, type: v.labels.type, events: v.value })),
    ingest: {
      received: sum('sightline_events_received_total', { component: 'ingest' }),
      accepted: sum('sightline_events_sent_total', { component: 'ingest' }),
      rejected: byLabel('sightline_events_discarded_total', 'reason', { component: 'ingest' }),
    },
    errors: byLabel('sightline_errors_total', 'component'),
    process: {
      stored: sum('sightline_events_sent_total', { component: 'process' }),
      duplicates: sum('sightline_pipeline_dedup_hits_total'),
      late: sum('sightline_pipeline_late_events_total'),
      backlog: sum('sightline_consumer_lag_events'),
      event_time_lag_seconds: single('sightline_pipeline_event_time_lag_seconds'),
    },
    freshness: { probe_seconds: single('sightline_probe_freshness_seconds'), probe_success: single('sightline_probe_success') },
    stores: {
      hot_rows: sum('sightline_hot_store_rows', { table: 'events' }),
      hot_bytes: sum('sightline_hot_store_size_bytes'),
      cold_files: sum('sightline_cold_store_files'),
      cold_bytes: sum('sightline_cold_store_size_bytes'),
    },
    // The tutorial's serving numbers: how often the aggregates and pipes caches answer.
    serving: { cache_hits: sum('sightline_cache_requests_total', { result: 'hit' }), cache_misses: sum('sightline_cache_requests_total', { result: 'miss' }) },
  };
}
