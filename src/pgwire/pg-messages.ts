import { BufferReader } from 'pg-protocol/dist/buffer-reader';
import { Writer } from 'pg-protocol/dist/buffer-writer';

/**
 * The Postgres wire protocol (v3) as a server sees it: the messages a client sends, read from
 * their frames, and those a server sends, written with pg-protocol's buffer writer (the reader and
 * writer node-postgres itself uses; pg-protocol parses only the server's side of the protocol).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** A message before the first typed one: its length says where it ends, its first int what it is. */
export type StartupMessage =
  | { kind: 'startup'; version: number; parameters: Record<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number };

export function readStartup(body: Buffer): StartupMessage {
  const reader = new BufferReader();
  reader.setBuffer(0, body);
  const code = reader.int32();
  if (code === SSL_REQUEST) return { kind: 'ssl' };
  if (code === GSSENC_REQUEST) return { kind: 'gssenc' };
  if (code === CANCEL_REQUEST) return { kind: 'cancel', processId: reader.int32(), secretKey: reader.int32() };
  // name\0value\0 … \0: the rest of the message.
  const parts = body.subarray(4).toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) parameters[parts[i]!] = parts[i + 1]!;
  return { kind: 'startup', version: code, parameters };
}

export type FrontendMessage =
  | { type: 'query'; sql: string }
  | { type: 'parse'; name: string; sql: string; paramTypes: number[] }
  | { type: 'bind'; portal: string; statement: string; paramFormats: number[]; params: Array<Buffer | null>; resultFormats: number[] }
  | { type: 'describe'; which: 'S' | 'P'; name: string }
  | { type: 'execute'; portal: string; maxRows: number }
  | { type: 'close'; which: 'S' | 'P'; name: string }
  | { type: 'sync' }
  | { type: 'flush' }
  | { type: 'terminate' }
  | { type: 'password'; password: string }
  | { type: 'unsupported'; code: string };

/** One typed message from its code and body (the bytes after the length). */
export function readMessage(code: number, body: Buffer): FrontendMessage {
  const reader = new BufferReader();
  reader.setBuffer(0, body);
  const int16s = (): number[] => Array.from({ length: reader.int16() }, () => reader.int16());
  switch (String.fromCharCode(code)) {
    case 'Q':
      return { type: 'query', sql: reader.cstring() };
    case 'P': {
      const name = reader.cstring();
      const sql = reader.cstring();
      const count = reader.int16();
      return { type: 'parse', name, sql, paramTypes: Array.from({ length: count }, () => reader.uint32()) };
    }
    case 'B': {
      const portal = reader.cstring();
      const statement = reader.cstring();
      const paramFormats = int16s();
      const params = Array.from({ length: reader.int16() }, () => {
        const length = reader.int32();
        return length < 0 ? null : reader.bytes(length);
      });
      return { type: 'bind', portal, statement, paramFormats, params, resultFormats: int16s() };
    }
    case 'D':
      return { type: 'describe', which: String.fromCharCode(reader.byte()) as 'S' | 'P', name: reader.cstring() };
    case 'E':
      return { type: 'execute', portal: reader.cstring(), maxRows: reader.int32() };
    case 'C':
      return { type: 'close', which: String.fromCharCode(reader.byte()) as 'S' | 'P', name: reader.cstring() };
    case 'S':
      return { type: 'sync' };
    case 'H':
      return { type: 'flush' };
    case 'X':
      return { type: 'terminate' };
    case 'p':
      return { type: 'password', password: reader.cstring() };
    default:
      return { type: 'unsupported', code: String.fromCharCode(code) };
  }
}

const writer = new Writer();
const codeOf = (c: string): number => c.charCodeAt(0);

/** A column of a RowDescription. */
export interface PgField {
  name: string;
  typeOid: number;
  typeSize: number;
  format: 0 | 1;
}

/** The error and notice fields a client reads: severity, SQLSTATE, message, and a hint or detail. */
export interface PgError {
  severity: 'ERROR' | 'FATAL';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

export const backend = {
  authenticationOk: (): Buffer => writer.addInt32(0).flush(codeOf('R')),
  authenticationCleartextPassword: (): Buffer => writer.addInt32(3).flush(codeOf('R')),
  parameterStatus: (name: string, value: string): Buffer => writer.addCString(name).addCString(value).flush(codeOf('S')),
  backendKeyData: (processId: number, secretKey: number): Buffer => writer.addInt32(processId).addInt32(secretKey).flush(codeOf('K')),
  readyForQuery: (status: 'I' | 'T' | 'E'): Buffer => writer.add(Buffer.from(status)).flush(codeOf('Z')),
  parseComplete: (): Buffer => writer.flush(codeOf('1')),
  bindComplete: (): Buffer => writer.flush(codeOf('2')),
  closeComplete: (): Buffer => writer.flush(codeOf('3')),
  noData: (): Buffer => writer.flush(codeOf('n')),
  portalSuspended: (): Buffer => writer.flush(codeOf('s')),
  emptyQueryResponse: (): Buffer => writer.flush(codeOf('I')),
  commandComplete: (tag: string): Buffer => writer.addCString(tag).flush(codeOf('C')),
  parameterDescription: (oids: readonly number[]): Buffer => {
    writer.addInt16(oids.length);
    for (const oid of oids) writer.addInt32(oid);
    return writer.flush(codeOf('t'));
  },
  rowDescription: (fields: readonly PgField[]): Buffer => {
    writer.addInt16(fields.length);
    for (const f of fields) writer.addCString(f.name).addInt32(0).addInt16(0).addInt32(f.typeOid).addInt16(f.typeSize).addInt32(-1).addInt16(f.format);
    return writer.flush(codeOf('T'));
  },
  dataRow: (values: ReadonlyArray<Buffer | null>): Buffer => {
    writer.addInt16(values.length);
    for (const v of values) {
      if (v === null) writer.addInt32(-1);
      else writer.addInt32(v.length).add(v);
    }
    return writer.flush(codeOf('D'));
  },
  error: (e: PgError, code: 'E' | 'N' = 'E'): Buffer => {
    writer.addString('S').addCString(e.severity).addString('V').addCString(e.severity).addString('C').addCString(e.code).addString('M').addCString(e.message);
    if (e.detail) writer.addString('D').addCString(e.detail);
    if (e.hint) writer.addString('H').addCString(e.hint);
    writer.addString('\0');
    return writer.flush(codeOf(code));
  },
};
