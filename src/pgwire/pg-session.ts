import { SightlineError } from '../core/errors.js';
import { holdingSlot } from '../core/client-slots.js';
import type { SqlEngine, SqlParam, SqlResult, SqlValue } from '../core/ports/sql-engine.js';
import { backend, type FrontendMessage, type PgField } from './pg-messages.js';
import { sqlState } from './pg-errors.js';
import { pgTypeOf } from '../core/pg-type-oids.js';
import { paramText, pgBinary, pgText } from './pg-types.js';
import { sessionCommand, splitStatements, isBlank, type SessionCommand } from './statement-split.js';

/** What a session answers `SHOW` with, and reports at startup (those in REPORTED). */
export const DEFAULT_SETTINGS: Record<string, string> = {
  server_version: '16.0',
  server_version_num: '160000',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  datestyle: 'ISO, MDY',
  intervalstyle: 'postgres',
  timezone: 'UTC',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  is_superuser: 'off',
  application_name: '',
  transaction_isolation: 'read committed',
  'transaction isolation level': 'read committed',
  default_transaction_read_only: 'on',
  transaction_read_only: 'on',
  search_path: '"$user", public',
  extra_float_digits: '1',
  max_identifier_length: '63',
  statement_timeout: '0',
  lc_collate: 'C',
  lc_ctype: 'C',
};
/** Settings a server reports in ParameterStatus (at startup, and when a client sets them). */
export const REPORTED = ['server_version', 'server_encoding', 'client_encoding', 'application_name', 'datestyle', 'timezone', 'integer_datetimes', 'standard_conforming_strings', 'intervalstyle', 'is_superuser'];
const REPORTED_NAMES: Record<string, string> = { datestyle: 'DateStyle', timezone: 'TimeZone', intervalstyle: 'IntervalStyle' };
export const reportedName = (name: string): string => REPORTED_NAMES[name] ?? name;

export interface PgSessionContext {
  engine: SqlEngine;
  /** A slot of the client's concurrent statements (SL_SQL_TOO_MANY_CONCURRENT past its limit); the answer gives it back. */
  slot: () => () => void;
  /** Whether the session's key may read a dataset. */
  mayRead: (dataset: string) => boolean;
  /** Each statement the engine ran (or refused), for the audit log: its digest and outcome. */
  onStatement: (digest: string | undefined, outcome: 'ok' | 'failed', code?: string) => void;
  send: (message: Buffer) => void;
  /** Sends what was sent so far, waiting while the client is slow to read. */
  flush: () => Promise<void>;
  settings: Record<string, string>;
}

interface PreparedStatement {
  sql: string;
  paramTypes: number[];
}

interface Portal {
  statement: PreparedStatement;
  /** Its rows were all sent: another Execute answers none (as Postgres does). */
  done?: boolean;
  params: SqlParam[];
  resultFormats: number[];
  /** Rows not sent yet of a statement that an Execute with a row limit suspended. */
  running?: { result: SqlResult; rows: AsyncIterator<SqlValue[][]>; pending: SqlValue[][]; sent: number; fields: PgField[] };
}

/**
 * One client's session after its startup: the simple query protocol (several statements in one
 * message), the extended one (Parse, Bind, Describe, Execute, Sync, Close, with named statements
 * and portals, text and binary formats, and portals suspended by a row limit), settings kept per
 * session, transactions acknowledged (everything is read-only), and cancellation.
 */
export class PgSession {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private transaction: 'I' | 'T' | 'E' = 'I';
  /** After an error in the extended protocol, messages up to the next Sync are skipped. */
  private skipping = false;
  private current: AbortController | undefined;

  constructor(private readonly ctx: PgSessionContext) {}

  /** A CancelRequest for this session: the statement running now stops with 57014. */
  cancel(): void {
    this.current?.abort();
  }

  async close(): Promise<void> {
    this.cancel();
    await this.closePortals();
  }

  async handle(message: FrontendMessage): Promise<void> {
    if (this.skipping && message.type !== 'sync') return;
    try {
      switch (message.type) {
        case 'query':
          return await this.simpleQuery(message.sql);
        case 'parse':
          this.statements.set(message.name, { sql: message.sql, paramTypes: message.paramTypes });
          return this.ctx.send(backend.parseComplete());
        case 'bind':
          return this.bind(message);
        case 'describe':
          return await this.describe(message.which, message.name);
        case 'execute':
          return await this.execute(message.portal, message.maxRows);
        case 'close':
          if (message.which === 'S') this.statements.delete(message.name);
          else await this.closePortal(message.name);
          return this.ctx.send(backend.closeComplete());
        case 'sync':
          this.skipping = false;
          // Outside a transaction block, Sync ends the implicit one: its portals go with it.
          if (this.transaction === 'I') await this.closePortals();
          return this.ctx.send(backend.readyForQuery(this.transaction));
        case 'flush':
          return;
        default:
          throw new SightlineError('SL_SQL_NOT_ALLOWED', `message ${message.type === 'unsupported' ? message.code : message.type} is not supported (COPY, function calls and replication are not)`);
      }
    } catch (err) {
      this.fail(err);
      if (message.type !== 'query') this.skipping = true;
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof SightlineError ? err : new SightlineError('SL_API_INTERNAL', (err as Error).message);
    this.ctx.send(backend.error({ severity: 'ERROR', code: sqlState(error), message: error.message, hint: `Sightline ${error.code}` }));
    if (this.transaction === 'T') this.transaction = 'E';
  }

  private async simpleQuery(text: string): Promise<void> {
    try {
      for (const statement of splitStatements(text)) {
        if (isBlank(statement)) {
          this.ctx.send(backend.emptyQueryResponse());
          continue;
        }
        const command = sessionCommand(statement);
        if (command) {
          this.command(command, true);
          continue;
        }
        if (this.transaction === 'E') throw new SightlineError('SL_SQL_INVALID', 'current transaction is aborted, commands ignored until end of transaction block');
        const result = await this.run(statement, []);
        const fields = fieldsOf(result, []);
        this.ctx.send(fields.length > 0 ? backend.rowDescription(fields) : backend.noData());
        const sent = await this.sendRows(result, fields, 0);
        this.ctx.send(backend.commandComplete(`SELECT ${sent.count}`));
      }
    } catch (err) {
      this.fail(err);
    }
    this.ctx.send(backend.readyForQuery(this.transaction));
  }

  /** A session command; `describe` sends its RowDescription (the simple protocol's, or Execute's after Describe). */
  private command(command: SessionCommand, describe: boolean): void {
    const { settings } = this.ctx;
    switch (command.kind) {
      case 'set':
        settings[command.name] = command.value;
        if (REPORTED.includes(command.name)) this.ctx.send(backend.parameterStatus(reportedName(command.name), command.value));
        return this.ctx.send(backend.commandComplete('SET'));
      case 'reset':
        if (command.name === 'all') Object.assign(settings, DEFAULT_SETTINGS);
        else if (command.name in DEFAULT_SETTINGS) settings[command.name] = DEFAULT_SETTINGS[command.name]!;
        else delete settings[command.name];
        return this.ctx.send(backend.commandComplete('RESET'));
      case 'show': {
        const rows = command.name === 'all' ? Object.entries(settings).map(([n, v]) => [n, v]) : [[settings[command.name === 'time zone' ? 'timezone' : command.name] ?? '']];
        if (describe) this.ctx.send(backend.rowDescription(command.name === 'all' ? [textField('name'), textField('setting')] : [textField(command.name)]));
        for (const row of rows) this.ctx.send(backend.dataRow(row.map((v) => Buffer.from(v ?? ''))));
        return this.ctx.send(backend.commandComplete('SHOW'));
      }
      case 'tag':
        if (command.transaction === 'begin') this.transaction = 'T';
        if (command.transaction === 'end') {
          this.transaction = 'I';
          // The transaction's portals end with it.
          void this.closePortals();
        }
        return this.ctx.send(backend.commandComplete(command.tag));
    }
  }

  private bind(message: Extract<FrontendMessage, { type: 'bind' }>): void {
    const statement = this.statements.get(message.statement);
    if (!statement) throw new SightlineError('SL_SQL_INVALID', `prepared statement "${message.statement}" does not exist`);
    const formatOf = (i: number): number => (message.paramFormats.length === 0 ? 0 : message.paramFormats.length === 1 ? message.paramFormats[0]! : (message.paramFormats[i] ?? 0));
    const params: SqlParam[] = message.params.map((bytes, i) => ({
      type: 'UNKNOWN',
      value: bytes === null ? null : formatOf(i) === 1 ? paramText(bytes, statement.paramTypes[i] ?? 0) : bytes.toString('utf8'),
    }));
    // A portal of the same name (the unnamed one, most often) is closed first: its statement's
    // connection, read gate and client slot go back.
    void this.closePortal(message.portal);
    this.portals.set(message.portal, { statement, params, resultFormats: message.resultFormats });
    this.ctx.send(backend.bindComplete());
  }

  private async describe(which: 'S' | 'P', name: string): Promise<void> {
    const portal = which === 'P' ? this.portals.get(name) : undefined;
    const statement = which === 'S' ? this.statements.get(name) : portal?.statement;
    if (!statement) throw new SightlineError('SL_SQL_INVALID', `${which === 'S' ? 'prepared statement' : 'portal'} "${name}" does not exist`);
    const command = sessionCommand(statement.sql);
    if (command || isBlank(statement.sql)) {
      if (which === 'S') this.ctx.send(backend.parameterDescription([]));
      this.ctx.send(command?.kind === 'show' ? backend.rowDescription([textField(command.name)]) : backend.noData());
      return;
    }
    const described = await this.ctx.engine.describe({ sql: statement.sql, mayRead: this.ctx.mayRead });
    if (which === 'S') this.ctx.send(backend.parameterDescription(described.params.map((t, i) => statement.paramTypes[i] || pgTypeOf(t).oid)));
    const fields = described.columns.map((c, i) => field(c.name, c.type, portal ? formatAt(portal.resultFormats, i) : 0));
    this.ctx.send(fields.length > 0 ? backend.rowDescription(fields) : backend.noData());
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) throw new SightlineError('SL_SQL_INVALID', `portal "${name}" does not exist`);
    const { sql } = portal.statement;
    if (isBlank(sql)) return this.ctx.send(backend.emptyQueryResponse());
    const command = sessionCommand(sql);
    if (command) return this.command(command, false);
    if (this.transaction === 'E') throw new SightlineError('SL_SQL_INVALID', 'current transaction is aborted, commands ignored until end of transaction block');
    if (portal.done) return this.ctx.send(backend.commandComplete('SELECT 0'));
    if (!portal.running) {
      const result = await this.run(sql, portal.params);
      portal.running = { result, rows: result.chunks()[Symbol.asyncIterator](), pending: [], sent: 0, fields: fieldsOf(result, portal.resultFormats) };
    }
    const running = portal.running;
    const sent = await this.sendRows(running.result, running.fields, maxRows, running);
    running.sent += sent.count;
    if (sent.more) return this.ctx.send(backend.portalSuspended());
    portal.running = undefined;
    portal.done = true;
    this.ctx.send(backend.commandComplete(`SELECT ${running.sent}`));
  }

  /** Runs a statement on the engine, cancellable, with its outcome for the audit. */
  private async run(sql: string, params: SqlParam[]): Promise<SqlResult> {
    const controller = new AbortController();
    this.current = controller;
    let digest: string | undefined;
    const release = this.ctx.slot();
    try {
      const result = await this.ctx.engine.query({ sql, ...(params.length > 0 && { params }), mayRead: this.ctx.mayRead, onDigest: (d) => (digest = d), signal: controller.signal });
      this.ctx.onStatement(digest, 'ok');
      return holdingSlot(result, release);
    } catch (err) {
      release();
      this.ctx.onStatement(digest, 'failed', (err as SightlineError).code);
      throw err;
    }
  }

  /**
   * Sends rows as DataRows: all of them (`limit` 0), or up to `limit`, keeping the rest of a chunk
   * for the next Execute. Answers how many it sent and whether any are left.
   */
  private async sendRows(result: SqlResult, fields: PgField[], limit: number, running?: NonNullable<Portal['running']>): Promise<{ count: number; more: boolean }> {
    const rows = running?.rows ?? result.chunks()[Symbol.asyncIterator]();
    const pending = running?.pending ?? [];
    let count = 0;
    for (;;) {
      while (pending.length > 0) {
        if (limit > 0 && count === limit) return { count, more: true };
        this.ctx.send(backend.dataRow(encodeRow(pending.shift()!, fields)));
        count++;
      }
      if (limit > 0 && count === limit) {
        // Whether the portal is done decides between PortalSuspended and CommandComplete.
        const next = await rows.next();
        if (next.done) return { count, more: false };
        pending.push(...next.value);
        return { count, more: true };
      }
      await this.ctx.flush();
      const next = await rows.next();
      if (next.done) return { count, more: false };
      pending.push(...next.value);
    }
  }

  private async closePortal(name: string): Promise<void> {
    const portal = this.portals.get(name);
    this.portals.delete(name);
    await portal?.running?.result.close().catch(() => undefined);
  }

  private async closePortals(): Promise<void> {
    for (const name of [...this.portals.keys()]) await this.closePortal(name);
  }
}

const textField = (name: string): PgField => ({ name, typeOid: 25, typeSize: -1, format: 0 });
const formatAt = (formats: readonly number[], i: number): 0 | 1 => ((formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i]) === 1 ? 1 : 0);
const field = (name: string, duckType: string, format: 0 | 1): PgField => {
  const t = pgTypeOf(duckType);
  return { name, typeOid: t.oid, typeSize: t.size, format };
};
const fieldsOf = (result: SqlResult, formats: readonly number[]): PgField[] => result.columns.map((c, i) => field(c.name, c.type, formatAt(formats, i)));

function encodeRow(row: SqlValue[], fields: readonly PgField[]): Array<Buffer | null> {
  return row.map((value, i) => {
    const f = fields[i]!;
    if (f.format === 1) return pgBinary(value, f.typeOid);
    const text = pgText(value);
    return text === null ? null : Buffer.from(text, 'utf8');
  });
}
