import { createHash } from 'node:crypto';
import { SightlineError } from '../core/errors.js';
import { type BoundTerm, boundsIn, CLOCK_FUNCTIONS, type SqlNode, type TimeColumns } from './time-bounds.js';

/** Table functions a statement may call: they make rows, they read nothing. */
const TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/**
 * Scalar functions a statement may not call: they change state (sequences) or tell what the
 * engine's configuration holds (paths, settings).
 */
const REFUSED_FUNCTIONS = new Set(['nextval', 'currval', 'setval', 'current_setting', 'getvariable', 'getenv']);

/** One place a statement reads a view, with the bounds its WHERE puts on the view's time columns. */
export interface ViewReference {
  view: string;
  bounds: BoundTerm[];
}

export interface CheckedStatement {
  references: ViewReference[];
  /** With `lenient`: the other tables it reads (the catalog's, or none there is), which a strict check refuses. */
  others: number;
  /** Whether it reads the clock or chance (now(), random()): the same statement answers otherwise later, whatever the data. */
  volatile: boolean;
}

const CHANCE_FUNCTIONS = new Set(['random', 'setseed', 'uuid', 'gen_random_uuid', 'uuidv4', 'uuidv7']);

const isNode = (value: unknown): value is SqlNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The BASE_TABLE leaves of a FROM clause reached through joins (not through subqueries), and whether anything else is there too. */
function directTables(from: unknown): { tables: SqlNode[]; others: number } {
  if (!isNode(from) || from.type === 'EMPTY') return { tables: [], others: 0 };
  if (from.type === 'BASE_TABLE') return { tables: [from], others: 0 };
  if (from.type === 'JOIN') {
    const left = directTables(from.left);
    const right = directTables(from.right);
    return { tables: [...left.tables, ...right.tables], others: left.others + right.others };
  }
  return { tables: [], others: 1 };
}

/**
 * Checks one statement's parse tree: only SELECTs over the views (and the statement's own CTEs),
 * no schema-qualified table, no table function but those that make rows, no function that
 * changes state. Answers each place a view is read, with its time bounds; a view's name is
 * matched without case, as DuckDB does.
 */
export function checkStatement(statement: SqlNode, views: ReadonlyMap<string, TimeColumns>, options: { lenient?: boolean } = {}): CheckedStatement {
  const references: ViewReference[] = [];
  const boundsOf = new Map<SqlNode, BoundTerm[]>();
  let others = 0;
  let volatile = false;
  /** A table that is no view: a strict check refuses it, a lenient one counts it. */
  const refuse = (error: SightlineError): void => {
    if (!options.lenient) throw error;
    others++;
  };

  const visit = (value: unknown, ctes: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, ctes);
      return;
    }
    if (!isNode(value)) return;
    let scope = ctes;
    const map = (value.cte_map as { map?: Array<{ key: string }> } | undefined)?.map;
    if (map && map.length > 0) scope = new Set([...ctes, ...map.map((entry) => entry.key.toLowerCase())]);
    if (value.type === 'RECURSIVE_CTE_NODE' && typeof value.cte_name === 'string') scope = new Set([...scope, value.cte_name.toLowerCase()]);
    // DESCRIBE and SHOW as a table would tell the hot store's own tables' columns.
    if (value.type === 'SHOW_REF') refuse(new SightlineError('SL_SQL_NOT_ALLOWED', 'DESCRIBE and SHOW are not taken here: information_schema.columns tells the views\' columns'));

    if (value.type === 'SELECT_NODE') {
      const { tables, others } = directTables(value.from_table);
      const alone = tables.length === 1 && others === 0;
      for (const table of tables) {
        const name = String(table.table_name).toLowerCase();
        const columns = views.get(name);
        if (!columns || scope.has(name)) continue;
        boundsOf.set(table, boundsIn(value.where_clause, String(table.alias || table.table_name), columns, alone));
      }
    }
    if (value.type === 'BASE_TABLE') {
      const name = String(value.table_name).toLowerCase();
      if (value.at_clause) throw new SightlineError('SL_SQL_NOT_ALLOWED', `${String(value.table_name)}: AT (time travel) is not taken here; GET /v1/tables/{table}/rows reads a snapshot`);
      if (value.catalog_name || value.schema_name) {
        refuse(new SightlineError('SL_SQL_NOT_ALLOWED', `${[value.catalog_name, value.schema_name, value.table_name].filter(Boolean).join('.')}: name a view without a schema (the views: ${[...views.keys()].join(', ')})`));
      } else if (!scope.has(name)) {
        if (views.has(name)) references.push({ view: name, bounds: boundsOf.get(value) ?? [] });
        else refuse(new SightlineError('SL_SQL_INVALID', `no table or view named ${String(value.table_name)} (the views: ${[...views.keys()].join(', ')})`));
      }
    }
    if (value.type === 'TABLE_FUNCTION') {
      const fn = value.function as SqlNode;
      const name = String(fn.function_name).toLowerCase();
      // Postgres clients qualify them with their own schema (psql's pg_catalog.generate_series).
      if (!TABLE_FUNCTIONS.has(name) || (fn.schema && fn.schema !== 'pg_catalog') || fn.catalog) throw new SightlineError('SL_SQL_NOT_ALLOWED', `table function ${name}() is not allowed: SQL on read reads the views only (${[...TABLE_FUNCTIONS].join(', ')} may make rows)`);
    }
    if (value.class === 'FUNCTION') {
      const name = String(value.function_name).toLowerCase();
      if (REFUSED_FUNCTIONS.has(name)) throw new SightlineError('SL_SQL_NOT_ALLOWED', `function ${name}() is not allowed in SQL on read`);
      if (CLOCK_FUNCTIONS.has(name) || CHANCE_FUNCTIONS.has(name)) volatile = true;
    }
    // BASE_TABLE nodes were given their bounds above, before the walk reaches them.
    for (const [key, child] of Object.entries(value)) {
      if (key !== 'cte_map') visit(child, scope);
    }
    // A CTE's body sees the CTEs before it, not itself (nor those after): DuckDB binds a name
    // there to the table of that name, here a view, which must then count as read.
    if (map) {
      const before = new Set(ctes);
      for (const entry of map) {
        visit(entry, before);
        before.add(entry.key.toLowerCase());
      }
    }
  };
  visit(statement, new Set());
  return { references, others, volatile };
}

/**
 * The statements of `json_serialize_sql`'s answer, or the reason there are none: DuckDB only
 * serializes SELECTs, so anything else (DDL, DML, SET, PRAGMA, ATTACH, COPY) is refused here.
 */
export function statementsOf(serialized: string): SqlNode[] {
  const parsed = JSON.parse(serialized) as { error: boolean; error_type?: string; error_message?: string; statements?: SqlNode[] };
  if (parsed.error) {
    if (parsed.error_type === 'not implemented') {
      throw new SightlineError('SL_SQL_NOT_ALLOWED', 'only SELECT statements run here: SQL on read cannot change data, settings or the catalog, nor read files');
    }
    throw new SightlineError('SL_SQL_INVALID', parsed.error_message ?? 'the statement does not parse');
  }
  return (parsed.statements ?? []).map((s) => s.node as SqlNode);
}

/**
 * What a statement does without what it holds: SHA-256 (16 hex digits) of its parse tree with every
 * constant's value and every position left out, so `WHERE user_id = 'a'` and `= 'b'` share one digest
 * and the audit log never holds a value, not even one to guess from a hash.
 */
export function statementDigest(statement: SqlNode): string {
  const shape = JSON.stringify(statement, function (this: Record<string, unknown>, key, value: unknown) {
    if (key === 'query_location') return undefined;
    if (key === 'value' && this.class === 'CONSTANT') return '?';
    return value;
  });
  return createHash('sha256').update(shape).digest('hex').slice(0, 16);
}
