import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RepoPath, Violation } from './violation.js';

/** File → why its single concern justifies more than the line limit. */
export type SizeExceptions = Readonly<Record<RepoPath, string>>;

export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** Files over the limit without a reason, and reasons that no longer have a file to excuse. */
export function fileSizeViolations(
  root: string,
  tsFiles: readonly RepoPath[],
  exceptions: SizeExceptions,
  maxLines: number,
): Violation[] {
  const violations: Violation[] = [];
  for (const file of tsFiles) {
    const lines = lineCount(readFileSync(join(root, file), 'utf8'));
    if (lines > maxLines && !(file in exceptions)) {
      violations.push({ kind: 'file-size', message: `file size: ${file} has ${lines} lines (limit ${maxLines}) and no size exception` });
    }
  }
  for (const [file, reason] of Object.entries(exceptions).sort(([a], [b]) => a.localeCompare(b))) {
    if (!tsFiles.includes(file) || !existsSync(join(root, file))) {
      violations.push({ kind: 'size-exception', message: `size exception: ${file} no longer exists; remove its exception` });
      continue;
    }
    const lines = lineCount(readFileSync(join(root, file), 'utf8'));
    if (lines <= maxLines) {
      violations.push({ kind: 'size-exception', message: `size exception: ${file} has ${lines} lines now (limit ${maxLines}); remove its exception` });
    } else if (reason.trim() === '') {
      violations.push({ kind: 'size-exception', message: `size exception: ${file} (${lines} lines) needs a reason: the single concern that justifies its size` });
    }
  }
  return violations;
}
