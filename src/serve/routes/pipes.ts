import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SightlineError } from '../../core/errors.js';
import { allows } from '../../auth/scopes.js';
import type { ClientSlots } from '../../core/client-slots.js';
import { SQL_PARAM_TYPES, type SqlEngine, type SqlValue } from '../../core/ports/sql-engine.js';
import { definePipe, type PipeInput } from '../../pipes/define-pipe.js';
import { PIPE_COMPATIBILITY, type PipeVersion } from '../../pipes/pipe-definition.js';
import { parsePipeCursor, PIPE_CURSOR_PATTERN, type PipePage, runPipe } from '../../pipes/pipe-runner.js';
import type { PipeStore } from '../../pipes/pipe-store.js';
import { actorOf } from '../access.js';
import { errorResponses } from '../errors.js';
import type { QueryCache, WindowScope } from '../query-cache.js';
import { clientOf } from '../rate-limits.js';
import { formatOf, rowStream, SQL_FORMATS, STREAMED_CONTENT_TYPES } from '../sql-formats.js';
import { mayReadTable } from '../table-access.js';
import { PIPE_PAGE_SCHEMA, PIPE_SCHEMA, pipePaths } from '../pipe-document.js';

export interface PipeRoutesOptions {
  pipes: PipeStore;
  engine: SqlEngine;
  /** Statements each client may run at once (shared with POST /v1/sql and the Postgres port). */
  slots: ClientSlots;
  /** Pages of pipes over aggregations only, kept until a window they cover changes. */
  cache?: QueryCache<PipePage>;
  defaultLimit: number;
  maxLimit: number;
  maxStatementBytes: number;
  /** Pipes of the config, which the API may not change (the next start would undo it). */
  configured: ReadonlySet<string>;
  /** Adds the pipes' own paths to the OpenAPI document, for a caller who may read them. */
  document: (paths: (document: { paths?: Record<string, unknown> }, request: FastifyRequest) => Record<string, unknown>) => void;
}

/** Longer pages are answered, not cached: the cache is bounded in entries, so it must be in their size too. */
const MAX_CACHED_ROWS = 1000;

const NAME_PARAMS = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } } } as const;
const VERSION_PARAMS = { type: 'object', required: ['name', 'version'], properties: { ...NAME_PARAMS.properties, version: { type: 'integer', minimum: 1 } } } as const;
const nameOf = (request: FastifyRequest): string => (request.params as { name: string }).name;
/** Defining and deleting: pipes:write on the pipe's name, audited as `action` on it. */
const writing = (action: 'pipe.define' | 'pipe.delete', target: (request: FastifyRequest) => string = (request) => `pipe ${nameOf(request)}`) => ({
  access: { scope: 'pipes:write' as const, resource: nameOf },
  audit: { action, target },
});
const AGGREGATES = 'aggregates/';

/** A version as the API shows it; the statement only to a key that may define the pipe. */
function viewOf(pipe: PipeVersion, request: FastifyRequest): Record<string, unknown> {
  const mayWrite = !request.principal || allows(request.principal.grants, 'pipes:write', pipe.name);
  return {
    name: pipe.name,
    version: pipe.version,
    ...(pipe.definition.description !== undefined && { description: pipe.definition.description }),
    path: `/v1/pipes/${pipe.name}`,
    params: pipe.definition.params,
    columns: pipe.columns,
    compatibility: pipe.definition.compatibility,
    reads: pipe.reads.map((r) => r.view),
    created_at: new Date(pipe.createdAt).toISOString(),
    created_by: pipe.createdBy,
    ...(mayWrite && { sql: pipe.definition.sql }),
  };
}

/** What a cached page of a pipe covers: each aggregation it reads, within its statement's time bounds once known. */
const scopesOf = (pipe: PipeVersion, page?: PipePage): WindowScope[] =>
  pipe.reads.map(({ view, dataset }) => ({ name: dataset.slice(AGGREGATES.length), ...(page?.stats.bounds[view] ?? {}) }));

/**
 * Pipes (docs/sql.md#pipes): named, versioned SQL statements with typed parameters, each served
 * at its own path with paging, and documented in /openapi.json as its own operation. Defining
 * one needs pipes:write and query:read on every view it reads; calling one needs query:read on
 * pipes/<name> only (it reads with the rights checked when it was defined).
 */
export async function pipeRoutes(app: FastifyInstance, opts: PipeRoutesOptions): Promise<void> {
  const { pipes } = opts;
  // The document is public: a pipe's path, parameters and columns are in it only for a caller who may call it.
  opts.document((document, request) =>
    pipePaths(
      pipes.list().filter((p) => request.principal !== undefined && mayReadTable(request, `pipes/${p.name}`)),
      opts,
      document.paths?.['/v1/pipes/{name}'],
    ),
  );
  const notConfigured = (name: string): void => {
    if (opts.configured.has(name)) throw new SightlineError('SL_PIPE_CONFIGURED', `pipe ${name} is defined in the config (pipes.${name}): change it there`);
  };

  app.get(
    '/v1/pipes',
    {
      config: { access: { scope: 'query:read', filtersResources: true } },
      schema: {
        summary: 'The pipes (published SQL endpoints) the key may call, each at its latest version',
        tags: ['pipes'],
        response: { 200: { type: 'object', required: ['pipes'], properties: { pipes: { type: 'array', items: PIPE_SCHEMA } } } },
      },
    },
    async (request) => ({ pipes: pipes.list().filter((p) => mayReadTable(request, `pipes/${p.name}`)).map((p) => viewOf(p, request)) }),
  );

  app.put(
    '/v1/pipes/:name',
    {
      config: writing('pipe.define'),
      schema: {
        summary: 'Define a pipe, or a new version of it',
        description:
          'The statement is one SELECT over the SQL views (docs/sql.md) with named parameters ($from), each declared in params with its type ' +
          `(${SQL_PARAM_TYPES.join(', ')}), and optionally required or a default. The same definition as the latest version answers 200 and makes none; ` +
          'a new one answers 201 with the next version, refused 409 when it would break the callers of the latest (compatibility BACKWARD). ' +
          'The key must also hold query:read on every view the statement reads.',
        tags: ['pipes'],
        params: NAME_PARAMS,
        body: {
          type: 'object',
          required: ['sql'],
          additionalProperties: false,
          properties: {
            sql: { type: 'string', minLength: 1, maxLength: opts.maxStatementBytes },
            description: { type: 'string', maxLength: 2000 },
            compatibility: { type: 'string', enum: [...PIPE_COMPATIBILITY] },
            params: {
              type: 'object',
              maxProperties: 32,
              additionalProperties: {
                type: 'object',
                required: ['type'],
                additionalProperties: false,
                properties: {
                  type: { type: 'string', enum: [...SQL_PARAM_TYPES] },
                  description: { type: 'string', maxLength: 2000 },
                  required: { type: 'boolean' },
                  default: { anyOf: [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }] },
                },
              },
            },
          },
        },
        response: {
          200: { type: 'object', required: ['pipe', 'created'], properties: { pipe: PIPE_SCHEMA, created: { type: 'boolean' } } },
          201: { type: 'object', required: ['pipe', 'created'], properties: { pipe: PIPE_SCHEMA, created: { type: 'boolean' } } },
          ...errorResponses(400, 409, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      notConfigured(name);
      const { pipe, created } = await definePipe(pipes, opts.engine, { name, input: request.body as PipeInput, mayRead: (dataset) => mayReadTable(request, dataset), actor: actorOf(request) });
      return reply.code(created ? 201 : 200).send({ pipe: viewOf(pipe, request), created });
    },
  );

  app.delete(
    '/v1/pipes/:name',
    {
      config: writing('pipe.delete'),
      schema: {
        summary: 'Delete a pipe (every version so far); defining it again goes on from the next version number',
        tags: ['pipes'],
        params: NAME_PARAMS,
        response: { 200: { type: 'object', required: ['name', 'through'], properties: { name: { type: 'string' }, through: { type: 'integer' } } }, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      notConfigured(name);
      const deletion = await pipes.delete(name, actorOf(request));
      return { name: deletion.name, through: deletion.through };
    },
  );

  app.delete(
    '/v1/pipes/:name/versions/:version',
    {
      config: writing('pipe.delete', (request) => `pipe ${nameOf(request)} version ${(request.params as { version: number }).version}`),
      schema: {
        summary: 'Withdraw one version of a pipe (the others stay; the latest of them is served)',
        tags: ['pipes'],
        params: VERSION_PARAMS,
        response: { 200: { type: 'object', required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'integer' } } }, ...errorResponses(400, 404, 409, 422) },
      },
    },
    async (request) => {
      const { name, version } = request.params as { name: string; version: number };
      notConfigured(name);
      const deletion = await pipes.deleteVersion(name, version, actorOf(request));
      return { name: deletion.name, version: deletion.version };
    },
  );

  const readAccess = { scope: 'query:read' as const, resource: (request: FastifyRequest) => `pipes/${nameOf(request)}` };

  app.get(
    '/v1/pipes/:name/versions',
    {
      config: { access: readAccess },
      schema: { summary: "A pipe's versions, oldest first", tags: ['pipes'], params: NAME_PARAMS, response: { 200: { type: 'object', required: ['versions'], properties: { versions: { type: 'array', items: PIPE_SCHEMA } } }, ...errorResponses(400, 404) } },
    },
    async (request) => ({ versions: pipes.versions((request.params as { name: string }).name).map((p) => viewOf(p, request)) }),
  );

  app.get(
    '/v1/pipes/:name/versions/:version',
    {
      config: { access: readAccess },
      schema: {
        summary: 'One version of a pipe',
        tags: ['pipes'],
        params: VERSION_PARAMS,
        response: { 200: PIPE_SCHEMA, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { name, version } = request.params as { name: string; version: number };
      return viewOf(pipes.get(name, version), request);
    },
  );

  app.get(
    '/v1/pipes/:name',
    {
      config: { access: readAccess },
      schema: {
        summary: "Call a pipe: its rows for the query string's parameters, a page at a time",
        description:
          "Each pipe is documented at its own path with its parameters and columns. limit (default " + `${opts.defaultLimit}, at most ${opts.maxLimit}) rows a page; ` +
          'cursor: next_cursor of the previous page (it pages the version it began on); version: an older version. ' +
          `The answer follows Accept: ${SQL_FORMATS.join(', ')} (the others than JSON carry the cursor in the Sightline-Next-Cursor header).`,
        tags: ['pipes'],
        params: NAME_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 10_000 },
          maxProperties: 40,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, default: opts.defaultLimit },
            cursor: { type: 'string', pattern: PIPE_CURSOR_PATTERN },
            version: { type: 'integer', minimum: 1 },
          },
        },
        response: { 200: PIPE_PAGE_SCHEMA, ...errorResponses(400, 404, 406, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const format = formatOf(request.headers.accept);
      const { name } = request.params as { name: string };
      const { limit, cursor, version, ...params } = request.query as { limit: number; cursor?: string; version?: number } & Record<string, string>;
      // A cursor pages the version its first page read, unless the request names one.
      const pinned = version ?? (cursor === undefined ? undefined : parsePipeCursor(cursor).version);
      const pipe = pipes.get(name, pinned);
      const cacheable = opts.cache !== undefined && !pipe.volatile && pipe.reads.every((r) => r.dataset.startsWith(AGGREGATES));
      // The slot is the caller's own, hit or miss: a computation shared through the cache never
      // answers one client with another's refusal.
      const release = opts.slots.take(clientOf(request));
      let page: PipePage;
      try {
        if (cacheable) {
          const key = JSON.stringify([pipe.name, pipe.version, Object.entries(params).sort(([a], [b]) => a.localeCompare(b)), limit, cursor ?? null]);
          page = await opts.cache!.get(key, scopesOf(pipe), () => runPipe(opts.engine, pipe, { params, limit, cursor }), (done) => (done.rows.length > MAX_CACHED_ROWS ? null : scopesOf(pipe, done)));
        } else {
          // Not shared, so a client that goes away cancels its own statement.
          const gone = new AbortController();
          request.raw.once('close', () => request.raw.complete || gone.abort());
          page = await runPipe(opts.engine, pipe, { params, limit, cursor, signal: gone.signal });
        }
      } finally {
        release();
      }
      reply.header('sightline-pipe-version', String(page.version));
      if (format === 'json') {
        const names = page.columns.map((c) => c.name);
        return {
          pipe: page.pipe,
          version: page.version,
          columns: page.columns,
          data: page.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]))),
          next_cursor: page.nextCursor,
          stats: { rows: page.rows.length, cold_files: page.stats.coldFiles, elapsed_ms: page.stats.elapsedMs },
        };
      }
      return streamPage(reply, page, format);
    },
  );
}

function streamPage(reply: FastifyReply, page: PipePage, format: Exclude<ReturnType<typeof formatOf>, 'json'>): FastifyReply {
  if (page.nextCursor) reply.header('sightline-next-cursor', page.nextCursor);
  async function* rows(): AsyncGenerator<SqlValue[][]> {
    yield page.rows;
  }
  return reply.type(STREAMED_CONTENT_TYPES[format]).send(rowStream(format, page.columns, rows()));
}
