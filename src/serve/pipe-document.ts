import type { SqlParamType } from '../core/ports/sql-engine.js';
import type { PipeVersion } from '../pipes/pipe-definition.js';
import { PIPE_CURSOR_PATTERN } from '../pipes/pipe-runner.js';
import { errorBodySchema } from './errors.js';

const COLUMN = { type: 'object', required: ['name', 'type'], properties: { name: { type: 'string' }, type: { type: 'string' } } } as const;

/** A pipe version as the API shows it. */
export const PIPE_SCHEMA = {
  type: 'object',
  required: ['name', 'version', 'path', 'params', 'columns', 'compatibility', 'reads', 'created_at', 'created_by'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    description: { type: 'string' },
    path: { type: 'string' },
    params: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string' }, description: { type: 'string' }, required: { type: 'boolean' }, default: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
      },
    },
    columns: { type: 'array', items: COLUMN },
    compatibility: { type: 'string' },
    reads: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    created_by: { type: 'string' },
    sql: { type: 'string', description: 'only to a key that may define the pipe (pipes:write on it)' },
  },
} as const;

const STATS = { type: 'object', required: ['rows', 'cold_files', 'elapsed_ms'], properties: { rows: { type: 'integer' }, cold_files: { type: 'integer' }, elapsed_ms: { type: 'integer' } } } as const;

/** A page of any pipe's rows; each pipe's own path documents its row's columns. */
export const PIPE_PAGE_SCHEMA = pageSchema({ type: 'object', additionalProperties: true });

function pageSchema(row: object) {
  return {
    type: 'object',
    required: ['pipe', 'version', 'columns', 'data', 'next_cursor', 'stats'],
    properties: {
      pipe: { type: 'string' },
      version: { type: 'integer' },
      columns: { type: 'array', items: COLUMN },
      data: { type: 'array', items: row },
      next_cursor: { type: ['string', 'null'], pattern: PIPE_CURSOR_PATTERN },
      stats: STATS,
    },
  } as const;
}

/** A query parameter's schema by its declared type, as a query string carries it. */
function paramSchema(type: SqlParamType): object {
  switch (type) {
    case 'BIGINT':
    case 'INTEGER':
      return { type: 'integer' };
    case 'DOUBLE':
      return { type: 'number' };
    case 'BOOLEAN':
      return { type: 'boolean' };
    case 'DATE':
      return { type: 'string', format: 'date' };
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      return { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', description: 'epoch milliseconds' }] };
    case 'VARCHAR':
      return { type: 'string' };
  }
}

/** A column's schema by DuckDB's type, as JSON carries its values (docs/sql.md): nullable, since SQL is. */
function columnSchema(type: string): object {
  if (/^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT|UINTEGER)$/.test(type)) return { type: ['integer', 'null'] };
  // Integers past 2^53 come as text, so no JSON reader rounds them.
  if (/^(BIGINT|UBIGINT|HUGEINT|UHUGEINT)$/.test(type)) return { type: ['integer', 'string', 'null'] };
  if (/^(DOUBLE|FLOAT|DECIMAL)/.test(type)) return { type: ['number', 'string', 'null'] };
  if (type === 'BOOLEAN') return { type: ['boolean', 'null'] };
  if (/^(VARCHAR|TIMESTAMP|DATE|TIME|UUID|INTERVAL)/.test(type)) return { type: ['string', 'null'] };
  return {};
}

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => {
    const { description, ...schema } = errorBodySchema(status);
    return [String(status), { description, content: { 'application/json': { schema } } }];
  }));

/**
 * Each pipe as its own operation of the OpenAPI document: its path, its parameters typed as
 * declared, its rows' columns, the scope it needs; so a client generated from /openapi.json has
 * a typed call per pipe, and the document follows each new version without a restart.
 */
export function pipePaths(pipes: readonly PipeVersion[], paging: { defaultLimit: number; maxLimit: number }, generic?: unknown): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  // A pipe's own path also takes what /v1/pipes/{name} takes (a new version, its deletion): a
  // client that matches the concrete path first finds them there, without the name parameter.
  const inherited = Object.fromEntries(
    Object.entries((generic ?? {}) as Record<string, { parameters?: Array<{ in: string }> }>)
      .filter(([method]) => method === 'put' || method === 'delete')
      .map(([method, op]) => [method, { ...op, parameters: (op.parameters ?? []).filter((p) => p.in !== 'path') }]),
  );
  for (const pipe of pipes) {
    const { definition } = pipe;
    const own = Object.entries(definition.params).map(([name, p]) => ({
      name,
      in: 'query',
      required: p.required === true,
      schema: { ...paramSchema(p.type), ...(p.default !== undefined && { default: p.default }) },
      description: `${p.type}${p.description ? `: ${p.description}` : ''}`,
    }));
    paths[`/v1/pipes/${pipe.name}`] = {
      ...inherited,
      get: {
        operationId: `pipe_${pipe.name}`,
        summary: definition.description?.split('\n')[0] ?? `Pipe ${pipe.name}`,
        description:
          `Pipe ${pipe.name}, version ${pipe.version} (reads ${pipe.reads.map((r) => r.view).join(', ')}). A page of limit rows (default ${paging.defaultLimit}, at most ${paging.maxLimit}); ` +
          'next_cursor asks for the next. Needs scope `query:read` on the dataset pipes/' + `${pipe.name}.`,
        tags: ['pipes'],
        security: [{ bearer: [] }],
        parameters: [
          ...own,
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: paging.maxLimit, default: paging.defaultLimit } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string', pattern: PIPE_CURSOR_PATTERN } },
          { name: 'version', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: pipe.version } },
        ],
        responses: {
          200: {
            description: `A page of the pipe's rows`,
            content: {
              'application/json': {
                schema: pageSchema({ type: 'object', properties: Object.fromEntries(pipe.columns.map((c) => [c.name, columnSchema(c.type)])) }),
              },
            },
          },
          ...errors(400, 401, 403, 404, 406, 422, 429, 503),
        },
      },
    };
  }
  return paths;
}
