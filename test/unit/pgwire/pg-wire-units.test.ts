import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PG_TYPES } from '../../../src/core/pg-type-oids.js';
import { paramText, pgBinary, pgText, timestampMicros } from '../../../src/pgwire/pg-types.js';
import { sessionCommand, splitStatements } from '../../../src/pgwire/statement-split.js';

/** node-postgres' own binary parsers (pg-types): what a client makes of our bytes. */
const parse = (oid: number, bytes: Buffer | null): unknown => (bytes === null ? null : (pg.types.getTypeParser(oid, 'binary') as (b: Buffer) => unknown)(bytes));

describe('Postgres wire protocol: statements, settings and values', () => {
  it('splits a simple query at the semicolons outside quotes, dollar quotes and comments', () => {
    assert.deepEqual(splitStatements("SELECT 1; SELECT ';' AS a;"), ['SELECT 1', " SELECT ';' AS a"]);
    assert.deepEqual(splitStatements('SELECT $$a;b$$; SELECT $t$x;$t$'), ['SELECT $$a;b$$', ' SELECT $t$x;$t$']);
    assert.deepEqual(splitStatements('SELECT 1 -- a; comment\n; /* b; /* nested; */ c; */ SELECT "x;y"'), ['SELECT 1 -- a; comment\n', ' /* b; /* nested; */ c; */ SELECT "x;y"']);
    assert.deepEqual(splitStatements("SELECT E'it\\'s;'; SELECT 'it''s;'"), ["SELECT E'it\\'s;'", " SELECT 'it''s;'"]);
    assert.deepEqual(splitStatements('  ; -- nothing\n'), ['']);
  });

  it('tells the session commands it answers itself from the statements the engine runs', () => {
    assert.deepEqual(sessionCommand('SET extra_float_digits = 3'), { kind: 'set', name: 'extra_float_digits', value: '3' });
    assert.deepEqual(sessionCommand("SET application_name TO 'PostgreSQL JDBC Driver'"), { kind: 'set', name: 'application_name', value: 'PostgreSQL JDBC Driver' });
    assert.deepEqual(sessionCommand("SET TIME ZONE 'Europe/Paris'"), { kind: 'set', name: 'timezone', value: 'Europe/Paris' });
    assert.deepEqual(sessionCommand('SHOW transaction isolation level'), { kind: 'show', name: 'transaction isolation level' });
    assert.deepEqual(sessionCommand('begin'), { kind: 'tag', tag: 'BEGIN', transaction: 'begin' });
    assert.deepEqual(sessionCommand('ROLLBACK'), { kind: 'tag', tag: 'ROLLBACK', transaction: 'end' });
    assert.equal(sessionCommand('SELECT 1'), undefined);
    assert.equal(sessionCommand('settings_table'), undefined);
  });

  it('writes binary values a client reads back as they were', () => {
    assert.equal(parse(PG_TYPES.int4.oid, pgBinary(-42, PG_TYPES.int4.oid)), -42);
    assert.equal(parse(PG_TYPES.int8.oid, pgBinary('9007199254740993', PG_TYPES.int8.oid)), '9007199254740993');
    assert.equal(parse(PG_TYPES.float8.oid, pgBinary(0.1, PG_TYPES.float8.oid)), 0.1);
    assert.equal(parse(PG_TYPES.bool.oid, pgBinary(true, PG_TYPES.bool.oid)), true);
    for (const n of ['0', '1', '-1', '12345.678', '100000000.5', '-9876543210.0123']) assert.equal(Number(parse(PG_TYPES.numeric.oid, pgBinary(n, PG_TYPES.numeric.oid))), Number(n), n);
    const ts = parse(PG_TYPES.timestamptz.oid, pgBinary('2026-12-07 19:16:37.84+00', PG_TYPES.timestamptz.oid)) as Date;
    assert.equal(ts.toISOString(), '2026-12-07T19:16:37.840Z');
    assert.equal(timestampMicros('2026-12-07 19:16:37.000001'), BigInt(Date.UTC(2026, 11, 7, 19, 16, 37)) * 1000n + 1n);
    assert.equal(timestampMicros('2026-12-07 21:16:37+02'), BigInt(Date.UTC(2026, 11, 7, 19, 16, 37)) * 1000n);
  });

  it('numeric in binary: digits base 10000, weight, sign and scale', () => {
    const bytes = pgBinary('-12345.678', PG_TYPES.numeric.oid)!;
    // 1 | 2345 | 6780: three digits, weight 1, negative, scale 3.
    assert.deepEqual([bytes.readInt16BE(0), bytes.readInt16BE(2), bytes.readUInt16BE(4), bytes.readInt16BE(6)], [3, 1, 0x4000, 3]);
    assert.deepEqual([bytes.readInt16BE(8), bytes.readInt16BE(10), bytes.readInt16BE(12)], [1, 2345, 6780]);
    // Below 1 the weight is negative: 0.0001 is one digit 1 at weight -1, scale 4 (pg-types misreads this one).
    assert.equal(pgBinary('0.0001', PG_TYPES.numeric.oid)!.toString('hex'), '0001ffff000000040001');
  });

  it('reads binary parameters as text DuckDB casts', () => {
    const int8 = Buffer.alloc(8);
    int8.writeBigInt64BE(-5n);
    assert.equal(paramText(int8, PG_TYPES.int8.oid), '-5');
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(BigInt(Date.UTC(2026, 0, 2, 3, 4, 5) - Date.UTC(2000, 0, 1)) * 1000n + 6n);
    assert.equal(paramText(ts, PG_TYPES.timestamp.oid), '2026-01-02 03:04:05.000006');
    assert.equal(paramText(Buffer.from([1, 2]), PG_TYPES.bytea.oid), '\\x0102');
    assert.equal(pgText(false), 'f');
    assert.equal(pgText({ months: 1, days: 2, micros: 3_600_000_001 }), '1 mons 2 days 01:00:00.000001');
  });
});
