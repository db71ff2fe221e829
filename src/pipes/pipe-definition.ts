import { SightlineError } from '../core/errors.js';
import { SQL_PARAM_TYPES, type SqlColumn, type SqlDescription, type SqlParam, type SqlParamType } from '../core/ports/sql-engine.js';

/** A pipe's name: its path (`/v1/pipes/<name>`) and its dataset (`pipes/<name>`). */
export const PIPE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const PARAM_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Query parameters every pipe takes itself, so none of its own may be named so. */
export const RESERVED_PARAMS = ['limit', 'cursor', 'version'] as const;
export const PIPE_COMPATIBILITY = ['BACKWARD', 'NONE'] as const;
export type PipeCompatibility = (typeof PIPE_COMPATIBILITY)[number];
const MAX_PARAMS = 32;

export interface PipeParam {
  type: SqlParamType;
  description?: string;
  /** A request without it is refused; otherwise it is `default`, or SQL NULL. */
  required?: boolean;
  default?: string | number | boolean;
}

/** What a pipe's author writes: the statement, its `$name` parameters, how new versions must keep to old ones. */
export interface PipeDefinition {
  sql: string;
  description?: string;
  params: Record<string, PipeParam>;
  compatibility: PipeCompatibility;
}

/** One version of a pipe as the `_pipes` table keeps it: never changed once written. */
export interface PipeVersion {
  kind: 'pipe';
  name: string;
  version: number;
  definition: PipeDefinition;
  /** The statement's columns when the version was made. */
  columns: SqlColumn[];
  /** The views it reads and the dataset each needs (`events`, `aggregates/<name>`): checked against its author's key, and all it may read when it runs. */
  reads: Array<{ view: string; dataset: string }>;
  /** Whether its statement reads the clock or chance, so its answer changes with no data changing (never cached). */
  volatile: boolean;
  createdAt: number;
  /** The key id that made it, or `config`. */
  createdBy: string;
}

/** A deleted pipe: every version up to `through` is gone; a new definition goes on from `through + 1`. */
export interface PipeDeletion {
  kind: 'pipe-deleted';
  name: string;
  through: number;
  at: number;
  by: string;
}

/** One version withdrawn (it exposed what it should not, say); the others stay. */
export interface PipeVersionDeletion {
  kind: 'pipe-version-deleted';
  name: string;
  version: number;
  at: number;
  by: string;
}

export type PipeRecord = PipeVersion | PipeDeletion | PipeVersionDeletion;

const invalid = (message: string): SightlineError => new SightlineError('SL_PIPE_INVALID', message);

/** A definition as a request or the config gave it, checked and with its defaults filled in. */
export function checkDefinition(name: string, input: { sql: string; description?: string | undefined; params?: Record<string, PipeParam> | undefined; compatibility?: PipeCompatibility | undefined }): PipeDefinition {
  if (!PIPE_NAME.test(name)) throw invalid(`pipe name "${name}": lower-case letters, digits and _, starting with a letter, at most 63`);
  const params = input.params ?? {};
  const names = Object.keys(params);
  if (names.length > MAX_PARAMS) throw invalid(`a pipe takes at most ${MAX_PARAMS} parameters`);
  for (const param of names) {
    const spec = params[param]!;
    if (!PARAM_NAME.test(param)) throw invalid(`parameter "${param}": lower-case letters, digits and _, not first a digit, at most 63`);
    if ((RESERVED_PARAMS as readonly string[]).includes(param)) throw invalid(`parameter "${param}": ${RESERVED_PARAMS.join(', ')} are every pipe's own (paging and version)`);
    if (!(SQL_PARAM_TYPES as readonly string[]).includes(spec.type)) throw invalid(`parameter "${param}": type ${String(spec.type)} is not one of ${SQL_PARAM_TYPES.join(', ')}`);
    if (spec.required && spec.default !== undefined) throw invalid(`parameter "${param}" is required and has a default: give one or the other`);
    if (spec.default !== undefined) paramOfText(param, spec.type, String(spec.default), 'SL_PIPE_INVALID');
  }
  return {
    sql: input.sql,
    ...(input.description !== undefined && { description: input.description }),
    params: Object.fromEntries(names.sort().map((param) => [param, normalParam(params[param]!)])),
    compatibility: input.compatibility ?? 'BACKWARD',
  };
}

const normalParam = (p: PipeParam): PipeParam => ({
  type: p.type,
  ...(p.description !== undefined && { description: p.description }),
  ...(p.required === true && { required: true }),
  ...(p.default !== undefined && { default: p.default }),
});

/**
 * The statement fits its definition: its parameters are the declared ones, all by name (a pipe is
 * called by its query string), and it reads a view. (Its columns have names of their own, as rows
 * are answered as objects: the page's `SELECT *` makes a repeated name unique, `a` and `a_1`.)
 */
export function checkStatement(definition: PipeDefinition, described: SqlDescription): void {
  const used = new Set(described.paramNames);
  const positional = described.paramNames.find((p) => /^\d+$/.test(p));
  if (positional !== undefined) throw invalid(`the statement uses $${positional}: a pipe's parameters are named ($from, $page)`);
  const undeclared = [...used].filter((p) => !Object.hasOwn(definition.params, p));
  if (undeclared.length > 0) throw invalid(`the statement uses ${undeclared.map((p) => `$${p}`).join(', ')}, not declared in params`);
  const unused = Object.keys(definition.params).filter((p) => !used.has(p));
  if (unused.length > 0) throw invalid(`params declares ${unused.join(', ')}, which the statement does not use`);
  if (described.reads.length === 0) throw invalid('the statement reads none of the views (events, dead_letters, the aggregations)');
}

/** Two definitions alike (a config read again at start, a PUT repeated): the same version, not a new one. */
export function sameDefinition(a: PipeDefinition, b: PipeDefinition): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What a new version would break for callers of the latest one under BACKWARD: a request that
 * worked (its parameters) must still be taken, and the columns it read must still come, typed alike.
 */
export function incompatibilities(latest: PipeVersion, next: { definition: PipeDefinition; columns: SqlColumn[] }): string[] {
  const breaks: string[] = [];
  for (const [param, old] of Object.entries(latest.definition.params)) {
    const now = next.definition.params[param];
    if (!now) breaks.push(`parameter ${param} is removed`);
    else if (now.type !== old.type) breaks.push(`parameter ${param} changes type from ${old.type} to ${now.type}`);
    else if (now.required && !old.required) breaks.push(`parameter ${param} becomes required`);
  }
  for (const [param, now] of Object.entries(next.definition.params)) {
    if (!Object.hasOwn(latest.definition.params, param) && now.required) breaks.push(`new parameter ${param} is required (give it a default, or make it optional)`);
  }
  for (const column of latest.columns) {
    const now = next.columns.find((c) => c.name === column.name);
    if (!now) breaks.push(`column ${column.name} is removed`);
    else if (now.type !== column.type) breaks.push(`column ${column.name} changes type from ${column.type} to ${now.type}`);
  }
  // CSV and Arrow readers take columns by position: the old ones stay first, in their order.
  const kept = next.columns.slice(0, latest.columns.length).map((c) => c.name);
  if (breaks.every((b) => !b.startsWith('column ')) && kept.join(',') !== latest.columns.map((c) => c.name).join(',')) {
    breaks.push(`columns ${latest.columns.map((c) => c.name).join(', ')} must stay first and in this order (new ones go after them)`);
  }
  return breaks;
}

/**
 * A parameter as a query string gives it (text), typed as declared; a value that cannot be of
 * its type is refused with `code` and the parameter's name.
 */
export function paramOfText(name: string, type: SqlParamType, text: string, code: 'SL_PIPE_PARAMS_INVALID' | 'SL_PIPE_INVALID' = 'SL_PIPE_PARAMS_INVALID'): SqlParam {
  const refuse = (expected: string) => new SightlineError(code, `parameter ${name} (${type}): ${JSON.stringify(text.slice(0, 100))} is not ${expected}`);
  switch (type) {
    case 'VARCHAR':
      return { type, value: text };
    case 'BOOLEAN':
      if (text !== 'true' && text !== 'false') throw refuse('true or false');
      return { type, value: text === 'true' };
    case 'DOUBLE': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw refuse('a finite number');
      return { type, value };
    }
    case 'INTEGER':
    case 'BIGINT':
      if (!/^-?\d{1,19}$/.test(text)) throw refuse('an integer');
      return { type, value: text };
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      if (/^-?\d{1,16}$/.test(text)) return { type, value: Number(text) };
      if (!Number.isFinite(Date.parse(text))) throw refuse('an ISO 8601 time or epoch milliseconds');
      return { type, value: text };
    case 'DATE':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !Number.isFinite(Date.parse(`${text}T00:00:00Z`))) throw refuse('a date (YYYY-MM-DD)');
      return { type, value: text };
  }
}

/** Each declared parameter's value for one request: given, its default, or NULL; required ones must be given, unknown ones are refused. */
export function paramsOfQuery(definition: PipeDefinition, query: Record<string, string | undefined>): Record<string, SqlParam> {
  const unknown = Object.keys(query).filter((q) => !Object.hasOwn(definition.params, q) && !(RESERVED_PARAMS as readonly string[]).includes(q));
  if (unknown.length > 0) {
    const known = [...Object.keys(definition.params), ...RESERVED_PARAMS].join(', ');
    throw new SightlineError('SL_PIPE_PARAMS_INVALID', `unknown parameter ${unknown.join(', ')}; this pipe takes ${known}`);
  }
  const params: Record<string, SqlParam> = {};
  for (const [name, spec] of Object.entries(definition.params)) {
    const given = query[name];
    if (given !== undefined) params[name] = paramOfText(name, spec.type, given);
    else if (spec.required) throw new SightlineError('SL_PIPE_PARAMS_INVALID', `parameter ${name} (${spec.type}) is required`);
    else params[name] = spec.default === undefined ? { type: spec.type, value: null } : paramOfText(name, spec.type, String(spec.default));
  }
  return params;
}
