import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { EVENTS_TABLE, parquetFieldIds } from '../../../src/lakehouse/iceberg/table-spec.js';
import { columnStats, columnStatsFromCopy } from '../../../src/store/hot/column-stats.js';
import { tempDir } from '../../helpers/tmp.js';

const hex = (m: Map<number, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString('hex')]));

describe('column statistics for the manifests', () => {
  it("from the Parquet writer's own statistics equal those of a pass over the rows", async () => {
    const tmp = await tempDir();
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      // Nulls, a string past the 64-byte bound limit and one past DuckDB's 256-character statistics cut, microsecond times.
      const rows = `SELECT 'id-' || i AS id, 'web' AS source, CASE WHEN i = 3 THEN 'a' || repeat('z', 300) ELSE 'page_view' END AS type,
        (1764150000000 + i * 1000)::BIGINT AS timestamp, make_timestamp(1764150000000123 + i * 1000000) AS event_time,
        CASE WHEN i % 3 = 0 THEN NULL WHEN i = 7 THEN repeat('u', 80) ELSE 'u' || i END AS user_id,
        '{"page":"/a"}' AS payload, '{}' AS metadata, i % 2 = 0 AS late, (i * 7)::BIGINT AS log_pos FROM range(20) t(i)`;
      const written = await conn.runAndReadAll(`COPY (${rows}) TO '${tmp.dir}/f.parquet' (FORMAT parquet, RETURN_STATS true, ${parquetFieldIds(EVENTS_TABLE)})`);
      const [, count, , , stats] = written.getRows()[0]!;
      const fromCopy = columnStatsFromCopy(EVENTS_TABLE, Number(count), stats);
      const fromRows = await columnStats(conn, EVENTS_TABLE, rows, []);
      assert.deepEqual(Object.fromEntries(fromCopy.valueCounts), Object.fromEntries(fromRows.valueCounts));
      assert.deepEqual(Object.fromEntries(fromCopy.nullValueCounts), Object.fromEntries(fromRows.nullValueCounts));
      assert.deepEqual(hex(fromCopy.lowerBounds), hex(fromRows.lowerBounds));
      assert.deepEqual(hex(fromCopy.upperBounds), hex(fromRows.upperBounds));
      assert.equal(fromCopy.nullValueCounts.get(6), 7);
      assert.equal(fromCopy.lowerBounds.has(3), false, 'no bound from a string cut short');
      assert.equal(fromCopy.lowerBounds.get(5)!.readBigInt64LE(), 1764150000000123n);
    } finally {
      conn.closeSync();
      await tmp.cleanup();
    }
  });
});
