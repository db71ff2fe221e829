import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeMachine } from './machine.js';

export interface ResultSink {
  /** Appends one row to the benchmark's table in BENCHMARKS.md and writes the full result as JSON. */
  record(bench: string, title: string, columns: string[], row: Array<string | number>, detail: unknown): Promise<void>;
}

/**
 * Results go to `<outDir>/BENCHMARKS.md` (one table per benchmark, found by its marker comment,
 * created if missing) and `<outDir>/bench/results/<bench>-<date>.json`.
 */
export function resultSink(outDir: string, mode: string): ResultSink {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim() !== '';
  const commit = git.status === 0 ? `${git.stdout.trim()}${dirty ? '+changes' : ''}` : 'unknown';
  return {
    async record(bench, title, columns, row, detail) {
      const machine = describeMachine();
      const machineText = `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`;
      const date = machine.date.slice(0, 16).replace('T', ' ');
      const fullColumns = ['date (UTC)', 'commit', 'machine', 'mode', ...columns];
      const fullRow = [date, commit, machineText, mode, ...row.map(String)];
      const file = join(outDir, 'BENCHMARKS.md');
      let text = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
      const marker = `<!-- bench:${bench} -->`;
      const line = `| ${fullRow.join(' | ')} |`;
      if (!text.includes(marker)) {
        text = `${text.trimEnd()}\n\n## ${title}\n\n${marker}\n| ${fullColumns.join(' | ')} |\n|${fullColumns.map(() => '---').join('|')}|\n${line}\n`;
      } else {
        const lines = text.split('\n');
        const headerAt = lines.indexOf(marker) + 1;
        // A benchmark that gained columns (always appended at the end) widens its table; older
        // rows keep their cells and leave the new ones empty.
        if (lines[headerAt] !== `| ${fullColumns.join(' | ')} |`) {
          lines[headerAt] = `| ${fullColumns.join(' | ')} |`;
          lines[headerAt + 1] = `|${fullColumns.map(() => '---').join('|')}|`;
        }
        let i = headerAt;
        while (i < lines.length && lines[i]!.startsWith('|')) i++;
        lines.splice(i, 0, line);
        text = lines.join('\n');
      }
      await mkdir(outDir, { recursive: true });
      await writeFile(file, text);
      const jsonDir = join(outDir, 'bench', 'results');
      await mkdir(jsonDir, { recursive: true });
      await writeFile(join(jsonDir, `${bench}-${machine.date.replace(/[:.]/g, '-')}.json`), JSON.stringify({ bench, mode, commit, machine, columns, row, detail }, null, 2));
    },
  };
}
