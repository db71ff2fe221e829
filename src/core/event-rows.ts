import type { EventRow, EventRowsNdjson } from './ports/processed-batch.js';

/**
 * Encodes rows as the NDJSON a HotStore loads in bulk: one line per row,
 * `{"p":logPos,"l":late,"u":userId,"m":metadata,"e":<event JSON as stored>}`. The event's bytes
 * are copied in as they are, never decoded, parsed or re-serialised. The result owns its memory
 * (not a slice of Node's shared pool), so it can be transferred between threads.
 */
export function encodeEventRows(rows: readonly EventRow[]): EventRowsNdjson {
  const prefixes: string[] = new Array(rows.length);
  const prefixBytes: number[] = new Array(rows.length);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const prefix = `{"p":${r.logPos},"l":${r.late},"u":${r.userId === null ? 'null' : JSON.stringify(r.userId)},"m":${r.metadata ?? 'null'},"e":`;
    prefixes[i] = prefix;
    prefixBytes[i] = Buffer.byteLength(prefix);
    total += prefixBytes[i]! + r.json.length + 2;
  }
  const out = Buffer.allocUnsafeSlow(total);
  let pos = 0;
  for (let i = 0; i < rows.length; i++) {
    pos += out.write(prefixes[i]!, pos);
    out.set(rows[i]!.json, pos);
    pos += rows[i]!.json.length;
    out[pos++] = 0x7d; // }
    out[pos++] = 0x0a; // \n
  }
  return { count: rows.length, ndjson: out };
}
