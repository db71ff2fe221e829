import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type TableCatalog, withRefSnapshotsOnly } from '../../lakehouse/catalog.js';
import { errorBodySchema, toApiError } from '../errors.js';
import { mayReadTable } from '../table-access.js';

export interface IcebergCatalogOptions {
  catalog: TableCatalog;
}

/** Where the catalog lives: a client's `uri` is `<api>/iceberg`, and it adds `/v1/...` itself. */
export const ICEBERG_PREFIX = '/iceberg';

const TAGS = ['lakehouse'];

/**
 * The Iceberg REST spec's ErrorModel, `{error: {message, type, code}}` (code the HTTP status), with
 * Sightline's own `code` and `message` beside it as every other route answers them.
 */
function errors(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(
    statuses.map((status) => {
      const ours = errorBodySchema(status);
      const error = { type: 'object', required: ['message', 'type', 'code'], properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'integer' } } };
      return [status, { ...ours, description: `${ours.description}, inside the Iceberg REST ErrorModel`, required: ['error', ...ours.required], properties: { error, ...ours.properties } }];
    }),
  );
}

const OBJECT = { type: 'object', additionalProperties: true } as const;
const NAMESPACE_PARAMS = { type: 'object', required: ['namespace'], properties: { namespace: { type: 'string', maxLength: 256 } } } as const;
const TABLE_PARAMS = { type: 'object', required: ['namespace', 'table'], properties: { namespace: { type: 'string', maxLength: 256 }, table: { type: 'string', maxLength: 256 } } } as const;

function sendError(reply: FastifyReply, status: number, type: string, message: string, code = type): FastifyReply {
  return reply.status(status).send({ error: { message, type, code: status }, code, message });
}

/** Errors in the REST spec's shape, the Sightline code as the type. */
function icebergErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const error = toApiError(err);
  if (error.status >= 500) request.log.error({ err, code: error.code }, error.message);
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  void sendError(reply, error.status, error.code, error.message);
}

/**
 * The read side of the Apache Iceberg REST Catalog API (open-api/rest-catalog-open-api.yaml in
 * apache/iceberg): config, the `sightline` namespace, its tables, and each table's current
 * metadata, so pyiceberg, Spark, Trino or DuckDB attach without knowing any file path. Tables are
 * written by Sightline only: the API takes no commits. A key sees the tables of the datasets its
 * `query:read` grant names.
 */
export async function icebergCatalogRoutes(app: FastifyInstance, opts: IcebergCatalogOptions): Promise<void> {
  const { catalog } = opts;
  app.setErrorHandler(icebergErrorHandler);
  const readAny = { access: { scope: 'query:read' as const, filtersResources: true } };
  const mayRead = mayReadTable;
  const knownNamespace = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const { namespace } = request.params as { namespace: string };
    if (namespace === catalog.namespace) return true;
    void sendError(reply, 404, 'NoSuchNamespaceException', `Namespace does not exist: ${namespace} (this catalog has ${catalog.namespace})`, 'SL_API_NOT_FOUND');
    return false;
  };

  app.get(
    `${ICEBERG_PREFIX}/v1/config`,
    { config: readAny, schema: { summary: 'Iceberg REST catalog: configuration', tags: TAGS, querystring: { type: 'object', properties: { warehouse: { type: 'string', maxLength: 1024 } } }, response: { 200: OBJECT, ...errors(400, 401, 403) } } },
    async () => ({
      defaults: {},
      overrides: {},
      endpoints: [
        'GET /v1/{prefix}/namespaces',
        'GET /v1/{prefix}/namespaces/{namespace}',
        'HEAD /v1/{prefix}/namespaces/{namespace}',
        'GET /v1/{prefix}/namespaces/{namespace}/tables',
        'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
        'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
      ],
    }),
  );

  app.get(
    `${ICEBERG_PREFIX}/v1/namespaces`,
    {
      config: readAny,
      schema: { summary: 'Iceberg REST catalog: namespaces', tags: TAGS, querystring: { type: 'object', properties: { parent: { type: 'string', maxLength: 256 }, pageToken: { type: 'string', maxLength: 256 }, pageSize: { type: 'integer', minimum: 1 } } }, response: { 200: OBJECT, ...errors(400, 401, 403) } },
    },
    // One level: nothing is under `sightline`.
    async (request) => ({ namespaces: (request.query as { parent?: string }).parent ? [] : [[catalog.namespace]] }),
  );

  app.get(
    `${ICEBERG_PREFIX}/v1/namespaces/:namespace`,
    { config: readAny, schema: { summary: 'Iceberg REST catalog: one namespace', tags: TAGS, params: NAMESPACE_PARAMS, response: { 200: OBJECT, ...errors(400, 401, 403, 404) } } },
    async (request, reply) => {
      if (!knownNamespace(request, reply)) return reply;
      return { namespace: [catalog.namespace], properties: { owner: 'sightline', comment: "Sightline's cold tier: raw events and closed windows" } };
    },
  );

  app.get(
    `${ICEBERG_PREFIX}/v1/namespaces/:namespace/tables`,
    {
      config: readAny,
      schema: { summary: 'Iceberg REST catalog: tables of a namespace', tags: TAGS, params: NAMESPACE_PARAMS, querystring: { type: 'object', properties: { pageToken: { type: 'string', maxLength: 256 }, pageSize: { type: 'integer', minimum: 1 } } }, response: { 200: OBJECT, ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      if (!knownNamespace(request, reply)) return reply;
      const tables = (await catalog.list()).filter((t) => mayRead(request, t.dataset));
      return { identifiers: tables.map((t) => ({ namespace: [catalog.namespace], name: t.name })) };
    },
  );

  app.get(
    `${ICEBERG_PREFIX}/v1/namespaces/:namespace/tables/:table`,
    {
      config: readAny,
      schema: {
        summary: 'Iceberg REST catalog: load a table (its metadata location and metadata)',
        tags: TAGS,
        params: TABLE_PARAMS,
        querystring: { type: 'object', properties: { snapshots: { type: 'string', enum: ['all', 'refs'] } } },
        response: { 200: OBJECT, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!knownNamespace(request, reply)) return reply;
      const { table } = request.params as { table: string };
      const loaded = await catalog.load(table);
      // A table the key may not read is answered as one that does not exist: its name is not told.
      if (!loaded || !mayRead(request, loaded.dataset)) return sendError(reply, 404, 'NoSuchTableException', `Table does not exist: ${catalog.namespace}.${table}`, 'SL_API_NOT_FOUND');
      const refsOnly = (request.query as { snapshots?: string }).snapshots === 'refs';
      return { 'metadata-location': loaded.metadataLocation, metadata: refsOnly ? withRefSnapshotsOnly(loaded.metadata) : loaded.metadata, config: catalog.fileIoProperties };
    },
  );
}
