import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SightlineError } from '../../core/errors.js';
import type { LifecycleReport, TableRead, TableRows } from '../../core/ports/cold-store.js';
import type { TableCatalog } from '../../lakehouse/catalog.js';
import { currentSnapshot, type Snapshot } from '../../lakehouse/iceberg/table-metadata.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';
import { mayReadTable } from '../table-access.js';

export interface TableRoutesOptions {
  catalog: TableCatalog;
  read: (read: TableRead) => Promise<TableRows>;
  runLifecycle: () => Promise<LifecycleReport>;
  lastLifecycle: () => LifecycleReport | null;
  maxLimit: number;
}

const JOB = {
  type: 'object',
  required: ['tables', 'files', 'rows', 'snapshots', 'errors'],
  properties: { tables: { type: 'integer' }, files: { type: 'integer' }, rows: { type: 'integer' }, snapshots: { type: 'integer' }, errors: { type: 'array', items: { type: 'string' } } },
} as const;
const REPORT = {
  type: 'object',
  required: ['at', 'jobs'],
  properties: { at: { type: 'string', format: 'date-time' }, jobs: { type: 'object', additionalProperties: JOB } },
} as const;
const reportView = (r: LifecycleReport) => ({ at: new Date(r.at).toISOString(), jobs: r.jobs });

const TAGS = ['lakehouse'];
const TABLE_PARAMS = { type: 'object', required: ['table'], properties: { table: { type: 'string', pattern: '^[A-Za-z0-9_]{1,128}$' } } } as const;
const SNAPSHOT = {
  type: 'object',
  required: ['snapshot_id', 'timestamp', 'operation', 'summary'],
  properties: {
    snapshot_id: { type: 'integer' },
    parent_snapshot_id: { type: ['integer', 'null'] },
    timestamp: { type: 'string', format: 'date-time' },
    operation: { type: 'string' },
    summary: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const snapshotView = (s: Snapshot) => ({
  snapshot_id: s['snapshot-id'],
  parent_snapshot_id: s['parent-snapshot-id'] ?? null,
  timestamp: new Date(s['timestamp-ms']).toISOString(),
  operation: s.summary.operation,
  summary: s.summary,
});

/**
 * The cold tier's tables as Sightline shows them: the tables with their current snapshot, each
 * table's snapshots, and its rows as of a snapshot (by id, or the one current at a time). The same
 * tables any Iceberg engine reads through the catalog at /iceberg.
 */
export async function tableRoutes(app: FastifyInstance, opts: TableRoutesOptions): Promise<void> {
  const { catalog } = opts;
  const mayRead = mayReadTable;
  /** A table the key may read; another is answered as one that does not exist. */
  const tableOf = async (request: FastifyRequest) => {
    const { table } = request.params as { table: string };
    const loaded = await catalog.load(table);
    if (!loaded || !mayRead(request, loaded.dataset)) throw new SightlineError('SL_API_NOT_FOUND', `no table ${table} in the cold tier (GET /v1/tables lists them)`);
    return loaded;
  };

  app.get(
    '/v1/tables',
    {
      config: { access: { scope: 'query:read', filtersResources: true } },
      schema: {
        summary: 'The Iceberg tables of the cold tier, with their current snapshot',
        tags: TAGS,
        response: {
          200: {
            type: 'object',
            required: ['tables'],
            properties: {
              tables: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'dataset', 'location', 'metadata_location', 'snapshots', 'current_snapshot_id', 'records', 'data_files', 'bytes'],
                  properties: {
                    name: { type: 'string' },
                    dataset: { type: 'string' },
                    location: { type: 'string' },
                    metadata_location: { type: 'string' },
                    snapshots: { type: 'integer' },
                    current_snapshot_id: { type: ['integer', 'null'] },
                    last_updated: { type: 'string', format: 'date-time' },
                    records: { type: 'integer' },
                    data_files: { type: 'integer' },
                    bytes: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const tables = [];
      for (const entry of (await catalog.list()).filter((t) => mayRead(request, t.dataset))) {
        const loaded = await catalog.load(entry.name);
        if (!loaded) continue;
        const current = currentSnapshot(loaded.metadata);
        tables.push({
          name: entry.name,
          dataset: entry.dataset,
          location: loaded.metadata.location,
          metadata_location: loaded.metadataLocation,
          snapshots: loaded.metadata.snapshots.length,
          current_snapshot_id: current?.['snapshot-id'] ?? null,
          last_updated: new Date(loaded.metadata['last-updated-ms']).toISOString(),
          records: Number(current?.summary['total-records'] ?? 0),
          data_files: Number(current?.summary['total-data-files'] ?? 0),
          bytes: Number(current?.summary['total-files-size'] ?? 0),
        });
      }
      return { tables };
    },
  );

  app.get(
    '/v1/tables/:table/snapshots',
    {
      config: { access: { scope: 'query:read', filtersResources: true } },
      schema: {
        summary: "A table's snapshots, oldest first (what time travel can read)",
        tags: TAGS,
        params: TABLE_PARAMS,
        response: { 200: { type: 'object', required: ['snapshots'], properties: { current_snapshot_id: { type: ['integer', 'null'] }, snapshots: { type: 'array', items: SNAPSHOT } } }, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { metadata } = await tableOf(request);
      return { current_snapshot_id: metadata['current-snapshot-id'] ?? null, snapshots: [...metadata.snapshots].sort((a, b) => a['sequence-number'] - b['sequence-number']).map(snapshotView) };
    },
  );

  app.get(
    '/v1/tables/:table/rows',
    {
      config: { access: { scope: 'query:read', filtersResources: true } },
      schema: {
        summary: 'Rows of a table as of a snapshot (by id, or the one current at a time), oldest first',
        description: 'snapshot_id or as_of picks the snapshot (default: the current one); from/to bound event time (window_start for aggregations), to exclusive.',
        tags: TAGS,
        params: TABLE_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            snapshot_id: { type: 'string', pattern: '^[0-9]{1,19}$' },
            as_of: TIME_PARAM_SCHEMA,
            from: TIME_PARAM_SCHEMA,
            to: TIME_PARAM_SCHEMA,
            limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, default: Math.min(100, opts.maxLimit) },
          },
        },
        response: {
          200: { type: 'object', required: ['snapshot_id', 'rows'], properties: { snapshot_id: { type: ['integer', 'null'] }, rows: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request) => {
      await tableOf(request);
      const q = request.query as { snapshot_id?: string; as_of?: string; from?: string; to?: string; limit: number };
      if (q.snapshot_id !== undefined && q.as_of !== undefined) throw new SightlineError('SL_API_BAD_REQUEST', 'give snapshot_id or as_of, not both');
      const asOf = parseTimeParam('as_of', q.as_of);
      const from = parseTimeParam('from', q.from);
      const to = parseTimeParam('to', q.to);
      const result = await opts.read({
        table: (request.params as { table: string }).table,
        limit: q.limit,
        ...(q.snapshot_id !== undefined && { snapshotId: Number(q.snapshot_id) }),
        ...(asOf !== undefined && { asOf }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
      });
      return { snapshot_id: result.snapshotId, rows: result.rows };
    },
  );

  app.post(
    '/v1/lifecycle/run',
    {
      config: { access: { scope: 'admin' }, audit: { action: 'lifecycle.run', target: () => 'cold tables' } },
      schema: {
        summary: 'Run the lifecycle jobs now: hot retention, compaction, tiering, cold retention, snapshot expiry',
        description: 'They also run every lifecycle.interval. Waits for the run (after any export in progress) and answers what each job did.',
        tags: TAGS,
        response: { 200: REPORT },
      },
    },
    async () => reportView(await opts.runLifecycle()),
  );

  app.get(
    '/v1/lifecycle',
    {
      config: { access: { scope: 'ops:read' } },
      schema: { summary: 'The last run of the lifecycle jobs since start', tags: TAGS, response: { 200: { type: 'object', required: ['last_run'], properties: { last_run: { anyOf: [REPORT, { type: 'null' }] } } } } },
    },
    async () => {
      const last = opts.lastLifecycle();
      return { last_run: last && reportView(last) };
    },
  );
}
