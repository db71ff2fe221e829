import { readFile, stat } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { isPlainObject } from '../../core/envelope.js';
import { SightlineError } from '../../core/errors.js';
import type { ReferenceData } from '../../core/ports/reference-data.js';

export interface FileReferenceDataOptions {
  path: string;
  format: 'csv' | 'json';
  key: string;
  reloadIntervalMs: number;
  /** Default true: a file that cannot be read at open is an error. When false, the table starts empty and reloads keep trying. */
  strict?: boolean;
  onReload?: (info: { rows: number; error?: string }) => void;
}

/**
 * Reference data from a CSV (header row) or JSON file (an array of objects, or an object keyed by
 * the join key). The file is checked for changes on an interval and swapped in whole once it
 * parses; a broken edit keeps the previous table and is reported, never half applied.
 */
export class FileReferenceData implements ReferenceData {
  private table = new Map<string, Record<string, unknown>>();
  private loadedAt: number | null = null;
  private lastError: string | null = null;
  private signature = '';
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: FileReferenceDataOptions) {}

  static async open(options: FileReferenceDataOptions): Promise<FileReferenceData> {
    const data = new FileReferenceData(options);
    await data.reload(options.strict ?? true);
    data.timer = setInterval(() => void data.reload(false), options.reloadIntervalMs);
    data.timer.unref();
    return data;
  }

  lookup(key: string): Record<string, unknown> | undefined {
    return this.table.get(key);
  }

  info() {
    return { rows: this.table.size, loadedAt: this.loadedAt, source: this.options.path, lastError: this.lastError };
  }

  /** Reloads if the file changed (size or mtime); `strict` makes a failure throw (at start). */
  async reload(strict: boolean): Promise<void> {
    try {
      const s = await stat(this.options.path);
      const signature = `${s.size}:${s.mtimeMs}`;
      if (signature === this.signature) return;
      this.table = parseTable(await readFile(this.options.path, 'utf8'), this.options.format, this.options.key);
      this.signature = signature;
      this.loadedAt = Date.now();
      this.lastError = null;
      this.options.onReload?.({ rows: this.table.size });
    } catch (err) {
      const message = `reference data ${this.options.path}: ${(err as Error).message}`;
      if (strict) throw new SightlineError('SL_REFERENCE_DATA_INVALID', message, { cause: err });
      if (this.lastError !== message) this.options.onReload?.({ rows: this.table.size, error: message });
      this.lastError = message;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

function parseTable(text: string, format: 'csv' | 'json', key: string): Map<string, Record<string, unknown>> {
  const table = new Map<string, Record<string, unknown>>();
  if (format === 'csv') {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>;
    for (const r of records) {
      const k = r[key];
      if (k === undefined) throw new Error(`CSV has no column "${key}"`);
      const { [key]: _, ...rest } = r;
      table.set(k, rest);
    }
    return table;
  }
  const doc = JSON.parse(text) as unknown;
  if (Array.isArray(doc)) {
    for (const r of doc) {
      if (!isPlainObject(r) || (typeof r[key] !== 'string' && typeof r[key] !== 'number')) {
        throw new Error(`every element must be an object with a string or number "${key}"`);
      }
      const { [key]: k, ...rest } = r;
      table.set(String(k), rest);
    }
  } else if (isPlainObject(doc)) {
    for (const [k, v] of Object.entries(doc)) {
      if (!isPlainObject(v)) throw new Error(`the value of "${k}" must be an object`);
      table.set(k, v);
    }
  } else {
    throw new Error('JSON reference data must be an array of objects or an object of objects');
  }
  return table;
}
