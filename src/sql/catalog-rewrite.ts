import { PG_TYPES, pgTypeOf } from '../core/pg-type-oids.js';
import type { SqlNode } from './time-bounds.js';

/** Postgres' object-identifier types, which DuckDB has not: a name cast to one (`'pg_class'::regclass`) finds nothing here. */
const REG_TYPES = new Set(['regclass', 'regtype', 'regproc', 'regprocedure', 'regnamespace', 'regoper', 'regoperator', 'regrole', 'regconfig']);
/** Postgres type names DuckDB does not know, as the type DuckDB has for them. */
const TYPE_ALIASES: Record<string, string> = {
  name: 'VARCHAR',
  bpchar: 'VARCHAR',
  xid: 'BIGINT',
  cid: 'BIGINT',
  tid: 'VARCHAR',
  int2vector: 'VARCHAR',
  oidvector: 'VARCHAR',
  ...Object.fromEntries([...REG_TYPES].map((t) => [t, 'VARCHAR'])),
};

const isNode = (value: unknown): value is SqlNode => typeof value === 'object' && value !== null && !Array.isArray(value);
const nullConstant = (): SqlNode => ({ class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'NULL', type_info: null }, is_null: true } });

/**
 * A client's catalog statement (psql's \d, JDBC's DatabaseMetaData, a BI tool's sync) made to run
 * on DuckDB's Postgres-compatible catalog: Postgres' `~` is a search (DuckDB's a full match), a
 * name cast to regclass is an unknown object (its description is absent), other casts to types
 * DuckDB lacks become their nearest type, and `pg_catalog.f()` is `f()` (so the catalog's own
 * stand-ins for functions DuckDB lacks are found). Changes the parse tree in place.
 */
export function rewriteCatalogStatement(statement: SqlNode): SqlNode {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isNode(value)) return value;
    if (value.class === 'FUNCTION') {
      if (value.function_name === 'regexp_full_match') value.function_name = 'regexp_matches';
      // psql writes `OPERATOR(pg_catalog.~)`, which DuckDB's parser reads as an operator named
      // after the schema; psql qualifies only its pattern matches that way.
      if (value.function_name === 'pg_catalog' && value.is_operator === true && (value.children as unknown[]).length === 2) {
        value.function_name = 'regexp_matches';
        value.is_operator = false;
      }
      if (value.schema === 'pg_catalog') value.schema = '';
    }
    // Postgres' collations (`COLLATE pg_catalog.default`) are not DuckDB's: the default one is meant.
    if (value.class === 'COLLATE' && String(value.collation).startsWith('pg_catalog.')) return visit(value.child);
    // DuckDB's pg_type and pg_attribute number types its own way: the catalog's stand-ins give
    // Postgres' OIDs, those the wire protocol sends (table macros, so no listing shows them).
    if (value.type === 'BASE_TABLE' && !value.catalog_name && (value.schema_name === '' || value.schema_name === 'pg_catalog') && SHIMMED.has(String(value.table_name).toLowerCase())) {
      const name = String(value.table_name).toLowerCase();
      return {
        type: 'TABLE_FUNCTION',
        alias: value.alias || name,
        sample: null,
        function: { class: 'FUNCTION', type: 'FUNCTION', alias: '', function_name: `sl_${name}`, schema: '', children: [], filter: null, order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false, is_operator: false, export_state: false, catalog: '' },
        column_name_alias: value.column_name_alias ?? [],
        with_ordinality: 'WITHOUT_ORDINALITY',
      };
    }
    // Postgres names a one-column function's column after its alias (psql's
    // `pg_catalog.generate_series(…) s`, then `prattrs[s]`); in DuckDB the alias alone is the
    // whole row. Only where the function is qualified as Postgres' own: DuckDB's `range(…) a`
    // keeps `a.range`.
    if (value.type === 'TABLE_FUNCTION' && value.alias && isNode(value.function) && value.function.schema === 'pg_catalog' && Array.isArray(value.column_name_alias) && value.column_name_alias.length === 0) {
      value.column_name_alias = [value.alias];
    }
    if (value.class === 'CAST') {
      const info = (value.cast_type as { id: string; type_info: { name?: string; schema?: string } | null }).type_info;
      const name = (value.cast_type as { id: string }).id === 'UNBOUND' ? info?.name?.toLowerCase() : undefined;
      if (name !== undefined) {
        if (REG_TYPES.has(name) && isNode(value.child) && value.child.class === 'CONSTANT') return nullConstant();
        const alias = TYPE_ALIASES[name];
        if (alias) value.cast_type = { id: alias, type_info: null };
        else if (info?.schema === 'pg_catalog') info.schema = '';
      }
    }
    for (const [key, child] of Object.entries(value)) value[key] = visit(child);
    return value;
  };
  return visit(statement) as SqlNode;
}

/**
 * Postgres catalog tables psql's \d asks about a table that DuckDB's catalog lacks: always empty
 * here (no policy, trigger, publication, inheritance or extended statistics), with the columns
 * psql reads.
 */
const EMPTY_TABLES: Record<string, string> = {
  pg_policy: 'oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR, polpermissive BOOLEAN, polroles BIGINT[], polqual VARCHAR, polwithcheck VARCHAR',
  pg_statistic_ext: 'oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT, stxowner BIGINT, stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[], stxexprs VARCHAR',
  pg_publication: 'oid BIGINT, pubname VARCHAR, pubowner BIGINT, puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN',
  pg_publication_rel: 'oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR, prattrs SMALLINT[]',
  pg_publication_namespace: 'oid BIGINT, pnpubid BIGINT, pnnspid BIGINT',
  pg_inherits: 'inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN',
  pg_trigger: 'oid BIGINT, tgrelid BIGINT, tgparentid BIGINT, tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN, tgconstrrelid BIGINT, tgconstrindid BIGINT, tgconstraint BIGINT, tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, tgnargs SMALLINT, tgattr SMALLINT[], tgargs BLOB, tgqual VARCHAR, tgoldtable VARCHAR, tgnewtable VARCHAR',
  pg_partitioned_table: 'partrelid BIGINT, partstrat VARCHAR, partnatts SMALLINT, partdefid BIGINT, partattrs SMALLINT[], partclass BIGINT[], partcollation BIGINT[], partexprs VARCHAR',
  pg_auth_members: 'oid BIGINT, roleid BIGINT, member BIGINT, grantor BIGINT, admin_option BOOLEAN, inherit_option BOOLEAN, set_option BOOLEAN',
  pg_rewrite: 'oid BIGINT, rulename VARCHAR, ev_class BIGINT, ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN, ev_qual VARCHAR, ev_action VARCHAR',
};

const SHIMMED = new Set(['pg_type', 'pg_attribute', 'pg_namespace', 'pg_class', 'pg_database', 'pg_roles', ...Object.keys(EMPTY_TABLES)]);

/** DuckDB type names, each with the Postgres OID pgTypeOf gives it: the CASE pg_attribute's stand-in maps data types with. */
const DUCK_TYPES = ['BOOLEAN', 'TINYINT', 'SMALLINT', 'UTINYINT', 'INTEGER', 'USMALLINT', 'BIGINT', 'UINTEGER', 'UBIGINT', 'HUGEINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'JSON', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP_S', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL', 'BLOB', 'UUID'];
const oidCase = (column: string): string =>
  `CASE ${DUCK_TYPES.map((t) => `WHEN ${column} = '${t}' THEN ${pgTypeOf(t).oid}`).join(' ')} WHEN ${column} LIKE 'DECIMAL%' THEN ${PG_TYPES.numeric.oid} ELSE ${PG_TYPES.text.oid} END`;
const PG_CATALOG_OID = 11;
const typeRows = Object.values(PG_TYPES)
  .map((t) => `(${t.oid}, '${t.name}', ${PG_CATALOG_OID}, 10, ${t.size}, ${t.size > 0 && t.size <= 8}, 'b', '${t.category}', false, true, ',', 0, NULL, 0, 0, '${t.name}in', '${t.name}out', '${t.name}recv', '${t.name}send', NULL, NULL, NULL, 'i', 'p', false, 0, -1, 0, 0, NULL, NULL, NULL)`)
  .join(', ');

/** The catalog's stand-ins for Postgres' pg_type, pg_attribute, pg_namespace and pg_class, and the tables it lacks, as table macros. */
export const CATALOG_TABLES = [
  `sl_pg_type() AS TABLE SELECT * FROM (VALUES ${typeRows}) t(oid, typname, typnamespace, typowner, typlen, typbyval, typtype, typcategory, typispreferred, typisdefined, typdelim, typrelid, typsubscript, typelem, typarray, typinput, typoutput, typreceive, typsend, typmodin, typmodout, typanalyze, typalign, typstorage, typnotnull, typbasetype, typtypmod, typndims, typcollation, typdefaultbin, typdefault, typacl)`,
  `sl_pg_attribute() AS TABLE SELECT a.* REPLACE (${oidCase('c.data_type')} AS atttypid) FROM pg_catalog.pg_attribute a LEFT JOIN duckdb_columns() c ON c.table_oid = a.attrelid AND c.column_index = a.attnum`,
  `sl_pg_namespace() AS TABLE SELECT * FROM pg_catalog.pg_namespace UNION ALL SELECT ${PG_CATALOG_OID}, 'pg_catalog', 10, NULL UNION ALL SELECT 13000, 'information_schema', 10, NULL`,
  'sl_pg_class() AS TABLE SELECT * REPLACE (NULL::VARCHAR[] AS reloptions), false AS relforcerowsecurity FROM pg_catalog.pg_class',
  // One database and one role, as clients see them: the platform's, owned by the user every key logs in as.
  `sl_pg_database() AS TABLE SELECT oid, datname, 10 AS datdba, 6 AS encoding, 'c' AS datlocprovider, 'C' AS datcollate, 'C' AS datctype, NULL::VARCHAR AS daticulocale, NULL::VARCHAR AS daticurules, NULL::VARCHAR[] AS datacl, datallowconn, datistemplate, -1 AS datconnlimit FROM pg_catalog.pg_database WHERE datname = 'sightline'`,
  "sl_pg_roles() AS TABLE SELECT 10::BIGINT AS oid, 'sightline' AS rolname, false AS rolsuper, true AS rolinherit, false AS rolcreaterole, false AS rolcreatedb, true AS rolcanlogin, -1 AS rolconnlimit, NULL::TIMESTAMP AS rolvaliduntil, false AS rolreplication, false AS rolbypassrls, NULL::VARCHAR[] AS rolconfig",
  ...Object.entries(EMPTY_TABLES).map(([name, columns]) => `sl_${name}() AS TABLE SELECT * FROM (SELECT ${columns.split(', ').map((c) => { const [col, ...type] = c.split(' '); return `NULL::${type.join(' ')} AS ${col}`; }).join(', ')}) WHERE false`),
];

/** Functions Postgres clients call that DuckDB's catalog has not: made in the catalog's database, with constant answers. */
export const CATALOG_MACROS = [
  "pg_get_userbyid(id) AS 'sightline'",
  "pg_encoding_to_char(id) AS 'UTF8'",
  'pg_get_indexdef(a, b := 0, c := false) AS NULL',
  'pg_get_partkeydef(id) AS NULL',
  'pg_backend_pid() AS 0',
  'pg_is_in_recovery() AS false',
  'to_regclass(name) AS NULL',
  'pg_total_relation_size(id) AS 0',
  'pg_relation_size(id) AS 0',
  'pg_get_viewdef(id, pretty := false) AS NULL',
  'pg_get_expr(node, relation, pretty := false) AS NULL',
  'pg_get_statisticsobjdef_columns(id) AS NULL',
  'pg_relation_is_publishable(id) AS false',
  'pg_table_size(id) AS 0',
  'array_upper(a, dimension) AS len(a)',
  // Postgres' OIDs (those the stand-in pg_attribute gives), not DuckDB's own numbering.
  `format_type(type_oid, typemod) AS CASE type_oid ${Object.values(PG_TYPES).map((t) => `WHEN ${t.oid} THEN '${t.sqlName}'`).join(' ')} ELSE NULL END`,
];

/** A statement with Postgres' qualified casts and operators unqualified: `::pg_catalog.text` is `::text`, `OPERATOR(pg_catalog.~)` is `~`. */
export function withoutPgQualifiers(sql: string): string {
  return sql.replace(/::\s*pg_catalog\./g, '::').replace(/OPERATOR\s*\(\s*pg_catalog\.([^)\s]+)\s*\)/g, '$1');
}
