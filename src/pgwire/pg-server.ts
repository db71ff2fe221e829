import { randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { AuditFacts } from '../audit/audit-entry.js';
import { holdsScope, mayReadDataset } from '../auth/scopes.js';
import type { Authentication, Principal } from '../auth/key-store.js';
import { isLoopbackBind } from '../core/loopback.js';
import type { SqlEngine } from '../core/ports/sql-engine.js';
import type { ClientSlots } from '../core/client-slots.js';
import { backend, type FrontendMessage, PROTOCOL_3, readMessage, readStartup } from './pg-messages.js';
import { DEFAULT_SETTINGS, PgSession, REPORTED, reportedName } from './pg-session.js';

export interface PgServerOptions {
  host: string;
  port: number;
  engine: SqlEngine;
  /** Statements each client (key) may run at once, shared with the HTTP API. */
  slots: ClientSlots;
  /** Checks a key's token, sent as the password. */
  authenticate: (token: string) => Authentication;
  /** Whether a password is asked (keys required); without, a client acts as the local user. */
  required: boolean;
  /** The local user, where keys are not required. */
  localPrincipal: Principal;
  /** The certificate to answer an SSLRequest with (the API's); none: SSLRequest is answered N. */
  secureContext?: () => SecureContext;
  audit: (facts: AuditFacts) => void;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Open connections at most; more are refused with 53300. */
  maxConnections: number;
}

/** The largest message a client may send (a statement and its parameters; HTTP takes 100 KB of SQL). */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The largest startup message (Postgres' own limit). */
const MAX_STARTUP_BYTES = 10_000;
/** Bytes read ahead of the session before the socket is paused: a client cannot pipeline without bound. */
const MAX_BUFFERED_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;
/** How long a client has to finish its startup and authentication. */
const STARTUP_TIMEOUT_MS = 10_000;

/**
 * The Postgres wire protocol on its own port: startup (with TLS on SSLRequest), a password that is
 * an API key's token, then a PgSession per connection. psql, JDBC, psycopg, node-postgres and BI
 * tools connect as to Postgres 16 and read the SQL-on-read views.
 */
export class PgServer {
  private server: Server | undefined;
  private readonly sessions = new Map<number, { secret: number; session: PgSession }>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: PgServerOptions) {}

  async start(): Promise<{ port: number }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : this.options.port };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const { session } of this.sessions.values()) await session.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(raw: Socket): void {
    if (this.sockets.size >= this.options.maxConnections) {
      raw.end(backend.error({ severity: 'FATAL', code: '53300', message: `too many connections (at most ${this.options.maxConnections})` }));
      return;
    }
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    // A message that does not parse (too short for its fields) throws: the connection ends with a
    // protocol violation, never the process.
    new PgConnection(raw, this.options, this.sessions).run().catch((err: unknown) => {
      this.options.logger.warn({ err: (err as Error).message, address: raw.remoteAddress }, 'a Postgres connection ended on a malformed message');
      raw.end(backend.error({ severity: 'FATAL', code: '08P01', message: `protocol violation: ${(err as Error).message}` }));
      setTimeout(() => raw.destroy(), 1000).unref();
    });
  }
}

/** One client's connection: its bytes framed into messages, the startup, then its session. */
class PgConnection {
  private socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;

  constructor(
    raw: Socket,
    private readonly options: PgServerOptions,
    private readonly sessions: Map<number, { secret: number; session: PgSession }>,
  ) {
    this.socket = raw;
    this.listen(raw);
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      if (this.buffer.length > MAX_BUFFERED_BYTES) socket.pause();
      this.waiting?.();
    });
    socket.on('end', () => this.end());
    socket.on('close', () => this.end());
    socket.on('error', () => this.end());
  }

  private end(): void {
    this.ended = true;
    this.waiting?.();
  }

  /** The next `n` bytes, once they arrived; undefined when the client went away. */
  private async take(n: number): Promise<Buffer | undefined> {
    while (this.buffer.length < n) {
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    if (this.socket.isPaused() && this.buffer.length <= MAX_BUFFERED_BYTES) this.socket.resume();
    return out;
  }

  private async frame(typed: boolean): Promise<{ code: number; body: Buffer } | undefined> {
    const header = await this.take(typed ? 5 : 4);
    if (!header) return undefined;
    const length = header.readInt32BE(typed ? 1 : 0);
    if (length < 4 || length > (typed ? MAX_MESSAGE_BYTES : MAX_STARTUP_BYTES)) {
      this.fatal('08P01', `invalid message length ${length}`);
      return undefined;
    }
    const body = await this.take(length - 4);
    return body ? { code: typed ? header[0]! : 0, body } : undefined;
  }

  private send = (message: Buffer): void => {
    if (!this.socket.destroyed) this.socket.write(message);
  };

  /** Sends what is corked, and waits while the client reads slower than rows come. */
  private async flush(): Promise<void> {
    const socket = this.socket;
    socket.uncork();
    if (socket.writableNeedDrain && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
    socket.cork();
  }

  private fatal(code: string, message: string): void {
    const socket = this.socket;
    socket.end(backend.error({ severity: 'FATAL', code, message }));
    this.end();
    // A client that never closes its side is not kept: the connection counts against maxConnections.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  async run(): Promise<void> {
    const timer = setTimeout(() => this.fatal('08006', 'the startup took too long'), STARTUP_TIMEOUT_MS);
    let principal: Principal | undefined;
    let parameters: Record<string, string> = {};
    try {
      for (;;) {
        const first = await this.frame(false);
        if (!first) return;
        const startup = readStartup(first.body);
        if (startup.kind === 'cancel') {
          const target = this.sessions.get(startup.processId);
          if (target && target.secret === startup.secretKey) target.session.cancel();
          this.socket.end();
          return;
        }
        if (startup.kind === 'gssenc') {
          this.send(Buffer.from('N'));
          continue;
        }
        if (startup.kind === 'ssl') {
          const context = this.options.secureContext?.();
          if (!context || this.socket instanceof TLSSocket) {
            this.send(Buffer.from('N'));
            continue;
          }
          this.send(Buffer.from('S'));
          await this.upgrade(context);
          continue;
        }
        if (startup.version !== PROTOCOL_3) return this.fatal('0A000', `unsupported frontend protocol ${startup.version >> 16}.${startup.version & 0xffff}: Sightline speaks 3.0`);
        parameters = startup.parameters;
        break;
      }
      principal = await this.authenticate(parameters);
      if (!principal) return;
    } finally {
      clearTimeout(timer);
    }
    await this.serve(principal, parameters);
  }

  private async upgrade(context: SecureContext): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.buffer = Buffer.alloc(0);
    this.socket = secure;
    this.listen(secure);
    raw.on('error', () => this.end());
  }

  /** The key whose token is the password; undefined (the connection closed with 28P01) when there is none. */
  private async authenticate(parameters: Record<string, string>): Promise<Principal | undefined> {
    const source = this.socket.remoteAddress ?? null;
    const user = parameters.user ?? '';
    const loopback = isLoopbackBind((source ?? '').replace(/^::ffff:/, ''));
    // Keys not required: the machine's own user, from this machine only; anyone else logs in.
    if (!this.options.required && loopback) return this.options.localPrincipal;
    if (!(this.socket instanceof TLSSocket) && !loopback) {
      this.fatal('28000', 'a password is sent only over TLS: connect with sslmode=require');
      return undefined;
    }
    this.send(backend.authenticationCleartextPassword());
    const reply = await this.frame(true);
    if (!reply) return undefined;
    const message = readMessage(reply.code, reply.body);
    const refuse = (code: string, why: string): undefined => {
      this.options.audit({ actor: user.slice(0, 64) || 'unknown', action: 'auth.failed', target: 'postgres', outcome: 'refused', source, trace_id: null, detail: { code } });
      this.fatal('28P01', `password authentication failed for user "${user}": ${why}`);
      return undefined;
    };
    if (message.type !== 'password') return refuse('SL_AUTH_MISSING', 'send an API key (sightline keys create) as the password');
    const result = this.options.authenticate(message.password);
    if ('failure' in result) return refuse(result.failure, 'the password is not a valid API key');
    if (!holdsScope(result.principal.grants, 'query:read')) {
      this.options.audit({ actor: result.principal.keyId, action: 'auth.forbidden', target: 'postgres', outcome: 'refused', source, trace_id: null, detail: { code: 'SL_AUTH_FORBIDDEN' } });
      this.fatal('42501', 'the key lacks query:read, which the Postgres port needs');
      return undefined;
    }
    return result.principal;
  }

  private async serve(principal: Principal, parameters: Record<string, string>): Promise<void> {
    const source = this.socket.remoteAddress ?? null;
    const settings: Record<string, string> = { ...DEFAULT_SETTINGS, ...(parameters.application_name !== undefined && { application_name: parameters.application_name }) };
    const session = new PgSession({
      engine: this.options.engine,
      slot: () => this.options.slots.take(principal.keyId),
      mayRead: (dataset) => mayReadDataset(principal.grants, dataset),
      onStatement: (digest, outcome, code) =>
        this.options.audit({ actor: principal.keyId, action: 'sql.query', target: `statement ${digest ?? '(did not parse)'}`, outcome, source, trace_id: null, detail: { protocol: 'postgres', ...(code && { code }) } }),
      send: this.send,
      flush: () => this.flush(),
      settings,
    });
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.sessions.has(processId));
    const secret = randomInt(1, 2 ** 31 - 1);
    this.sessions.set(processId, { secret, session });
    try {
      this.socket.cork();
      this.send(backend.authenticationOk());
      for (const name of REPORTED) this.send(backend.parameterStatus(reportedName(name), settings[name] ?? ''));
      this.send(backend.parameterStatus('session_authorization', parameters.user ?? principal.keyId));
      this.send(backend.backendKeyData(processId, secret));
      this.send(backend.readyForQuery('I'));
      this.socket.uncork();
      for (;;) {
        const frame = await this.frame(true);
        if (!frame) return;
        const message: FrontendMessage = readMessage(frame.code, frame.body);
        if (message.type === 'terminate') return;
        this.socket.cork();
        await session.handle(message);
        this.socket.uncork();
      }
    } finally {
      this.sessions.delete(processId);
      await session.close();
      this.socket.end();
    }
  }
}
