/**
 * Bounds on a view's time column read from a WHERE clause of DuckDB's parse tree
 * (`json_serialize_sql`), so a statement over one day opens only that day's cold files. Only what
 * certainly holds is taken: top-level AND terms comparing the column with an expression that has
 * no column, subquery or volatile function in it. Anything else leaves the side unbounded.
 */

/** A parse tree node as `json_serialize_sql` writes it. */
export type SqlNode = { [key: string]: unknown };

export interface BoundTerm {
  /** `ms`: the BIGINT column of epoch milliseconds (`timestamp`); `time`: its TIMESTAMP twin (`event_time`). */
  column: 'ms' | 'time';
  side: 'lower' | 'upper';
  /** Whether the bound's own value passes (`>=`, `<=`, `=`, BETWEEN) or not (`>`, `<`). */
  inclusive: boolean;
  /** The expression the column is compared with: constants, casts, parameters, now() and date arithmetic. */
  expr: SqlNode;
  /** Whether it reads the clock (now(), current_date, …): its value when files are chosen is a moment early. */
  clock: boolean;
}

/** A view's two time columns: epoch milliseconds and the same instant as a TIMESTAMP. */
export interface TimeColumns {
  ms: string;
  time: string;
}

/** Functions whose value a bound may hold: deterministic within a statement (now() is the statement's start). */
const STABLE_FUNCTIONS = new Set([
  '+', '-', '*', '/', '//',
  'now', 'current_timestamp', 'get_current_timestamp', 'transaction_timestamp', 'current_date', 'today',
  'to_timestamp', 'epoch_ms', 'make_timestamp', 'make_timestamptz', 'make_date', 'date_trunc', 'date_add', 'date_sub', 'strptime', 'epoch', 'trunc',
  'to_years', 'to_months', 'to_weeks', 'to_days', 'to_hours', 'to_minutes', 'to_seconds', 'to_milliseconds', 'to_microseconds',
]);

/** Functions whose value is the statement's start time (or day). */
export const CLOCK_FUNCTIONS = new Set(['now', 'current_timestamp', 'get_current_timestamp', 'transaction_timestamp', 'current_date', 'today']);

const isNode = (value: unknown): value is SqlNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether an expression has one value for the whole statement, known before it runs. */
export function isStableExpression(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(isStableExpression);
  if (!isNode(node)) return true;
  const cls = node.class;
  if (cls === 'COLUMN_REF' || cls === 'SUBQUERY' || cls === 'STAR' || cls === 'WINDOW' || cls === 'LAMBDA' || cls === 'LAMBDA_REF') return false;
  if (cls === 'FUNCTION' && !STABLE_FUNCTIONS.has(String(node.function_name).toLowerCase())) return false;
  return Object.values(node).every(isStableExpression);
}

/** Whether an expression reads the clock. */
function readsClock(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(readsClock);
  if (!isNode(node)) return false;
  if (node.class === 'FUNCTION' && CLOCK_FUNCTIONS.has(String(node.function_name).toLowerCase())) return true;
  return Object.values(node).some(readsClock);
}

/** The AND terms of a WHERE clause. */
function conjuncts(where: unknown): SqlNode[] {
  if (!isNode(where)) return [];
  if (where.type === 'CONJUNCTION_AND') return (where.children as unknown[]).flatMap(conjuncts);
  return [where];
}

const FLIPPED: Record<string, string> = {
  COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN',
  COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO',
  COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN',
  COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO',
  COMPARE_EQUAL: 'COMPARE_EQUAL',
};

/**
 * Bound terms on the time columns of the table referenced as `qualifier` (its alias, else its
 * name) in one SELECT. `alone`: the SELECT reads only that table, so unqualified columns are its.
 */
export function boundsIn(where: unknown, qualifier: string, columns: TimeColumns, alone: boolean): BoundTerm[] {
  const columnOf = (node: unknown): BoundTerm['column'] | undefined => {
    if (!isNode(node) || node.class !== 'COLUMN_REF') return undefined;
    const names = (node.column_names as string[]).map((n) => n.toLowerCase());
    if (names.length === 2 && names[0] !== qualifier.toLowerCase()) return undefined;
    if (names.length === 1 && !alone) return undefined;
    if (names.length > 2) return undefined;
    const name = names[names.length - 1];
    return name === columns.ms.toLowerCase() ? 'ms' : name === columns.time.toLowerCase() ? 'time' : undefined;
  };
  const terms: BoundTerm[] = [];
  for (const term of conjuncts(where)) {
    if (term.type === 'COMPARE_BETWEEN') {
      const column = columnOf(term.input);
      if (column && isStableExpression(term.lower)) terms.push({ column, side: 'lower', inclusive: true, expr: term.lower as SqlNode, clock: readsClock(term.lower) });
      if (column && isStableExpression(term.upper)) terms.push({ column, side: 'upper', inclusive: true, expr: term.upper as SqlNode, clock: readsClock(term.upper) });
      continue;
    }
    if (term.class !== 'COMPARISON' || !(String(term.type) in FLIPPED)) continue;
    let type = String(term.type);
    let column = columnOf(term.left);
    let other = term.right;
    if (!column) {
      column = columnOf(term.right);
      other = term.left;
      type = FLIPPED[type]!;
    }
    if (!column || !isStableExpression(other)) continue;
    const expr = other as SqlNode;
    const clock = readsClock(expr);
    if (type === 'COMPARE_EQUAL') {
      terms.push({ column, side: 'lower', inclusive: true, expr, clock }, { column, side: 'upper', inclusive: true, expr, clock });
    } else {
      const side = type.startsWith('COMPARE_GREATER') ? 'lower' : 'upper';
      terms.push({ column, side, inclusive: type.endsWith('OREQUALTO'), expr, clock });
    }
  }
  return terms;
}

/** An event-time range in ms, `to` exclusive; undefined sides are open. */
export interface TimeRange {
  from?: number;
  to?: number;
}

/**
 * The range a reference's terms allow, from their values (ms; undefined where one could not be
 * known): the tightest lower and upper bound. A bound that reads the clock was evaluated a moment
 * before the statement runs, so it is widened by `clockMarginMs` (files are chosen by day, so
 * this costs a file only near midnight).
 */
export function rangeOf(terms: readonly BoundTerm[], values: ReadonlyArray<number | undefined>, clockMarginMs: number): TimeRange {
  let from: number | undefined;
  let to: number | undefined;
  terms.forEach((term, i) => {
    const found = values[i];
    if (found === undefined || !Number.isFinite(found)) return;
    const value = term.clock ? found + (term.side === 'lower' ? -clockMarginMs : clockMarginMs) : found;
    // Rounded outward to whole milliseconds: a bound of 00:00:00.0005 keeps the row at 00:00:00.000.
    if (term.side === 'lower') {
      const start = Math.floor(value);
      from = from === undefined ? start : Math.max(from, start);
    } else {
      const end = term.inclusive ? Math.floor(value) + 1 : Math.ceil(value);
      to = to === undefined ? end : Math.min(to, end);
    }
  });
  return { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
}

/** The smallest range holding every one of `ranges` (an open side stays open). */
export function hullOf(ranges: readonly TimeRange[]): TimeRange {
  if (ranges.length === 0) return {};
  const from = ranges.every((r) => r.from !== undefined) ? Math.min(...ranges.map((r) => r.from!)) : undefined;
  const to = ranges.every((r) => r.to !== undefined) ? Math.max(...ranges.map((r) => r.to!)) : undefined;
  return { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
}
