import { ProgressLine } from './progress.js';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { sendBatch } from '../client/batch-sender.js';
import { processingOutcome } from '../client/processing-outcome.js';
import { SightlineError } from '../core/errors.js';

export interface SendOptions {
  url: string;
  batchSize: string;
  maxRetries: string;
  concurrency: string;
  gzip: boolean;
  quiet: boolean;
  /** Seconds to wait for processing before saying what it dead-lettered (0: do not wait). */
  wait: string;
}

const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** `sightline send FILE`: streams the file in batches; exit code 1 if any event was not accepted. */
export async function send(file: string, options: SendOptions): Promise<void> {
  const batchSize = Number(options.batchSize);
  const concurrency = Math.max(1, Number(options.concurrency));
  if (batchSize < 1) throw new SightlineError('SL_CLI_USAGE', '--batch-size must be at least 1');
  const input = file === '-' ? process.stdin : createReadStream(file);
  input.on('error', () => undefined);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const started = Date.now();
  const totals = { lines: 0, accepted: 0, rejected: 0, failed: 0, retries: 0 };
  const problems: string[] = [];
  let unreachable = false;
  let firstLine: string | undefined;
  const progress = new Progress(options.quiet);
  const inFlight = new Set<Promise<void>>();

  const dispatch = async (batch: string[], firstLine: number): Promise<void> => {
    const outcome = await sendBatch(batch, {
      url: options.url,
      maxRetries: Number(options.maxRetries),
      gzip: options.gzip,
      onRetry: ({ attempt, delayMs, reason }) => {
        totals.retries++;
        progress.note(`retry ${attempt} of lines ${firstLine}-${firstLine + batch.length - 1} in ${delayMs} ms (${reason})`);
      },
    });
    totals.accepted += outcome.accepted;
    totals.rejected += outcome.rejected.length;
    for (const r of outcome.rejected) {
      if (problems.length < 20) problems.push(`line ${firstLine + r.index}: ${r.code} ${r.message}`);
    }
    if (outcome.failure) {
      totals.failed += batch.length;
      if (outcome.failure.status === undefined) unreachable = true;
      problems.push(`lines ${firstLine}-${firstLine + batch.length - 1} not sent: ${outcome.failure.code} ${outcome.failure.message}`);
    }
    progress.update(totals, started);
  };

  let batch: string[] = [];
  let batchBytes = 0;
  let batchFirstLine = 1;
  let lineNo = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const p = dispatch(batch, batchFirstLine).finally(() => inFlight.delete(p));
    inFlight.add(p);
    batch = [];
    batchBytes = 0;
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      firstLine ??= line.trimStart();
      if (batch.length === 0) batchFirstLine = lineNo;
      batch.push(line);
      batchBytes += line.length + 1;
      totals.lines++;
      if (batch.length >= batchSize || batchBytes >= MAX_BATCH_BYTES) await flush();
    }
  } catch (err) {
    throw new SightlineError('SL_CLI_USAGE', `cannot read ${file}: ${(err as Error).message}`);
  }
  await flush();
  await Promise.all(inFlight);
  progress.done();
  const seconds = (Date.now() - started) / 1000;
  for (const p of problems) process.stderr.write(`  ${p}\n`);
  process.stdout.write(
    `sent ${totals.lines} events: ${totals.accepted} accepted, ${totals.rejected} rejected, ${totals.failed} not delivered, ${totals.retries} retries ` +
      `(${seconds.toFixed(1)} s, ${Math.round(totals.accepted / Math.max(seconds, 0.001))} events/s)\n`,
  );
  if (totals.accepted > 0 && !unreachable) await reportProcessing(options.url, started, Number(options.wait) * 1000);
  if (unreachable) process.stderr.write(`hint: is \`sightline up\` running at ${options.url}? Give its address with --url or SIGHTLINE_URL\n`);
  if (firstLine?.startsWith('[') && totals.accepted !== totals.lines) {
    process.stderr.write(`hint: ${file} looks like a JSON array; send takes NDJSON, one event per line (jq -c '.[]' ${file} turns one into the other)\n`);
  }
  if (totals.accepted !== totals.lines) process.exitCode = 1;
}

/**
 * Accepted is durable, not stored: processing may still refuse an event (a quality rule, lateness,
 * enrichment). Says how many it dead-lettered, and where to look.
 */
async function reportProcessing(url: string, started: number, waitMs: number): Promise<void> {
  if (!(waitMs > 0)) return;
  const outcome = await processingOutcome(url, started, waitMs).catch(() => undefined);
  if (!outcome) return;
  const codes = Object.entries(outcome.deadLettered).sort(([a], [b]) => a.localeCompare(b));
  const total = codes.reduce((n, [, c]) => n + c, 0);
  if (total > 0) {
    const byCode = codes.map(([code, n]) => `${code} ${n}`).join(', ');
    process.stdout.write(`processing dead-lettered ${total} event${total === 1 ? '' : 's'} since the send began (${byCode}): see \`sightline dlq list --since ${started}\`\n`);
  } else if (outcome.settled) {
    process.stdout.write('processing dead-lettered none of them\n');
  }
  if (!outcome.settled) {
    process.stdout.write(`processing is still catching up (${outcome.backlog} events in the log): events it refuses later appear in \`sightline dlq list\`\n`);
  }
}

/** Counts of a send as one progress line. */
class Progress {
  private readonly line: ProgressLine;

  constructor(quiet: boolean) {
    this.line = new ProgressLine(quiet);
  }

  update(t: { lines: number; accepted: number; rejected: number; failed: number }, started: number): void {
    const rate = Math.round(t.accepted / Math.max((Date.now() - started) / 1000, 0.001));
    this.line.show(`read ${t.lines} · accepted ${t.accepted} · rejected ${t.rejected} · not delivered ${t.failed} · ${rate} events/s`);
  }

  note(text: string): void {
    this.line.note(text);
  }

  done(): void {
    this.line.done();
  }
}
