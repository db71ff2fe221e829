import { existsSync, readFileSync } from 'node:fs';

export const TABLE_BEGIN = '<!-- layers:begin -->';
export const TABLE_END = '<!-- layers:end -->';

/** One row of the architecture document's layer table. */
export interface LayerRow {
  folder: string;
  mayImport: string[];
  line: number;
}

export type LayerTable =
  | { found: true; rows: LayerRow[]; problems: string[] }
  | { found: false; problem: string };

/**
 * Reads the layer table of the architecture document: the markdown table between TABLE_BEGIN and
 * TABLE_END, one row per layer, `| \`folder\` | what it holds | \`dep1\`, \`dep2\` |` or `—` for no
 * dependencies. `problems` are rows that cannot be read, which the check reports rather than skip.
 */
export function readLayerTable(file: string, shownAs: string): LayerTable {
  if (!existsSync(file)) return { found: false, problem: `${shownAs} not found, so no layer can be checked` };
  const lines = readFileSync(file, 'utf8').split('\n');
  const begin = lines.findIndex((line) => line.trim() === TABLE_BEGIN);
  const end = lines.findIndex((line, i) => i > begin && line.trim() === TABLE_END);
  if (begin < 0 || end < 0) {
    return { found: false, problem: `${shownAs} has no layer table between ${TABLE_BEGIN} and ${TABLE_END}` };
  }
  const tableLines = lines
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .slice(begin + 1, end)
    .filter(({ text }) => text.startsWith('|'));
  const problems: string[] = [];
  const separator = tableLines[1];
  if (!separator || !/^\|[\s:|-]+\|$/.test(separator.text)) {
    problems.push(`${shownAs}: the layer table needs a header row and a separator row first`);
  }
  const rows: LayerRow[] = [];
  for (const { text, line } of tableLines.slice(2)) {
    const row = readRow(text, line);
    if (typeof row === 'string') problems.push(`${shownAs}:${line}: ${row}`);
    else if (rows.some((other) => other.folder === row.folder)) {
      problems.push(`${shownAs}:${line}: layer \`${row.folder}\` has a second row`);
    } else rows.push(row);
  }
  const names = new Set(rows.map((row) => row.folder));
  for (const row of rows) {
    for (const target of row.mayImport) {
      if (!names.has(target)) problems.push(`${shownAs}:${row.line}: layer \`${row.folder}\` may import \`${target}\`, which has no row`);
    }
  }
  return { found: true, rows, problems };
}

/** A row, or why it cannot be read. */
function readRow(text: string, line: number): LayerRow | string {
  const cells = text.replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
  if (cells.length < 3) return 'a layer row needs three cells: `folder` | what it holds | what it may import';
  const folder = backticked(cells[0]!);
  if (folder === undefined) return `the first cell must be one folder name in backticks, not "${cells[0]}"`;
  const last = cells[cells.length - 1]!;
  if (/^[—–-]$/.test(last)) return { folder, mayImport: [], line };
  const mayImport: string[] = [];
  for (const part of last.split(',')) {
    const name = backticked(part.trim());
    if (name === undefined) return `the last cell must list folders in backticks, comma-separated, or —; not "${last}"`;
    // A layer importing itself needs no permission.
    if (name !== folder) mayImport.push(name);
  }
  return { folder, mayImport, line };
}

function backticked(cell: string): string | undefined {
  return /^`([^`\s]+)`$/.exec(cell)?.[1];
}
