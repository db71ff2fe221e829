import type { StreamStatus } from '../core/stream-status.js';
import { apiRequest } from '../client/api-client.js';

interface PartitionStatus {
  partition: number;
  end_offset: number;
  processed_offset?: number;
  committed_offset?: number;
  backlog?: number;
  bytes: number;
}

/** `sightline status`: asks a running platform for /v1/status and prints it readably. */
export async function status(options: { url: string; json: boolean }): Promise<void> {
  const doc = await apiRequest<any>(options.url, 'GET', '/v1/status');
  if (options.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  out.push(`Sightline ${doc.version} at ${options.url} (data: ${doc.data_dir})`, '');
  for (const topic of doc.log.topics) {
    const partitions = topic.partitions as PartitionStatus[];
    if (partitions[0]?.backlog === undefined) {
      const records = partitions.reduce((s, p) => s + p.end_offset, 0);
      out.push(`log topic "${topic.topic}": ${records} record${records === 1 ? '' : 's'}`);
      continue;
    }
    out.push(`log topic "${topic.topic}"`);
    out.push(table(['partition', 'end offset', 'processed', 'committed', 'backlog', 'bytes'], partitions.map((p) => [p.partition, p.end_offset, p.processed_offset!, p.committed_offset!, p.backlog!, p.bytes])));
  }
  const pr = doc.processor;
  out.push('', `processor "${pr.pipeline}": watermark ${pr.watermark === null ? '-' : new Date(pr.watermark).toISOString()}, stored ${pr.stored}, duplicates ${pr.duplicates}, late ${pr.late}${pr.ok ? '' : `, STALLED: ${pr.reason}`}`);
  const streams = (pr.streams ?? []) as StreamStatus[];
  if (streams.length > 0) {
    const time = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());
    out.push(
      table(
        ['stream', 'watermark', 'late before', 'newest event', 'idle'],
        streams.map((s) => [s.stream, time(s.watermark), time(s.late_before), time(s.newest_event), s.idle ? 'idle' : '-']),
      ),
    );
  }
  out.push('', `hot store ${doc.hot_store.file} (${doc.hot_store.bytes} bytes)`);
  out.push(table(['table', 'rows'], doc.hot_store.tables.map((t: { table: string; rows: number }) => [t.table, t.rows])));
  out.push('', `cold store ${doc.cold_store.root}: ${doc.cold_store.files} Parquet files, ${doc.cold_store.bytes} bytes`);
  out.push(table(['dataset', 'files', 'bytes'], Object.entries(doc.cold_store.datasets as Record<string, { files: number; bytes: number }>).map(([k, v]) => [k, v.files, v.bytes])));
  process.stdout.write(out.join('\n') + '\n');
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
