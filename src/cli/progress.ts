/** One updating line on a terminal (stderr); a line every few seconds otherwise, so CI logs stay short. */
export class ProgressLine {
  private lastPrint = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly quiet: boolean) {}

  show(text: string, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!this.tty && !force && now - this.lastPrint < 2000) return;
    this.lastPrint = now;
    process.stderr.write(this.tty ? `\r${text}\x1b[K` : `${text}\n`);
  }

  note(text: string): void {
    if (this.quiet) return;
    process.stderr.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  done(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
  }
}

/** `[#######.......] 120/300` */
export function bar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
