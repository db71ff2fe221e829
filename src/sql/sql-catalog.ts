import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SqlView } from '../core/ports/sql-engine.js';
import { CATALOG_MACROS, CATALOG_TABLES } from './catalog-rewrite.js';

/** The database name clients see (`current_database()`, JDBC's catalog). */
export const CATALOG_DATABASE = 'sightline';

const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * What clients read about the views before they read the views: the `pg_catalog` and
 * `information_schema` queries of psql, JDBC's DatabaseMetaData and BI tools. They run on a
 * DuckDB of their own, in memory, that holds one empty table per view with the view's columns,
 * so DuckDB's own Postgres-compatible catalog answers them, listing the views and nothing of the
 * hot store. It holds no row and reads no file: a statement here sees only names and types.
 */
export class SqlCatalog {
  private instance: DuckDBInstance | undefined;
  private shape = '';
  private refreshing: Promise<void> | undefined;

  private async open(): Promise<DuckDBInstance> {
    if (!this.instance) {
      const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: '1', memory_limit: '64MB' });
      const conn = await instance.connect();
      try {
        await conn.run(`ATTACH ':memory:' AS ${CATALOG_DATABASE}`);
        for (const macro of [...CATALOG_MACROS, ...CATALOG_TABLES]) await conn.run(`CREATE MACRO ${CATALOG_DATABASE}.main.${macro}`);
      } finally {
        conn.closeSync();
      }
      this.instance = instance;
    }
    return this.instance;
  }

  /** A connection on the catalog's database, its tables those of `views`. */
  async connect(views: readonly SqlView[]): Promise<DuckDBConnection> {
    const instance = await this.open();
    await this.refresh(instance, views);
    const conn = await instance.connect();
    await conn.run(`USE ${CATALOG_DATABASE}`);
    await conn.run("SET TimeZone = 'UTC'");
    return conn;
  }

  private async refresh(instance: DuckDBInstance, views: readonly SqlView[]): Promise<void> {
    const shape = JSON.stringify(views.map((v) => [v.name, v.columns]));
    while (this.refreshing) await this.refreshing;
    if (shape === this.shape) return;
    this.refreshing = (async () => {
      const conn = await instance.connect();
      try {
        await conn.run('BEGIN');
        for (const row of (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = '${CATALOG_DATABASE}'`)).getRows()) {
          await conn.run(`DROP TABLE ${CATALOG_DATABASE}.main.${quoted(String(row[0]))}`);
        }
        for (const view of views) {
          await conn.run(`CREATE TABLE ${CATALOG_DATABASE}.main.${quoted(view.name)} (${view.columns.map((c) => `${quoted(c.name)} ${c.type}`).join(', ')})`);
        }
        await conn.run('COMMIT');
        this.shape = shape;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        conn.closeSync();
      }
    })().finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  close(): void {
    this.instance?.closeSync();
    this.instance = undefined;
  }
}
