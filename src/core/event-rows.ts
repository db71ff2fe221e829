import type { EventRow, EventRowsNdjson } from './ports/hot-store.js';

/**
 * Encodes rows as the NDJSON a HotStore loads in bulk: one line per row,
 * `{"p":logPos,"l":late,"u":userId,"m":metadata,"e":<event JSON as stored>}`. The event JSON
 * is spliced in as text, never parsed and re-serialised.
 */
export function encodeEventRows(rows: readonly EventRow[]): EventRowsNdjson {
  let ndjson = '';
  for (const r of rows) {
    ndjson += `{"p":${r.logPos},"l":${r.late},"u":${r.userId === null ? 'null' : JSON.stringify(r.userId)},"m":${r.metadata ?? 'null'},"e":${r.json}}\n`;
  }
  return { count: rows.length, ndjson };
}
