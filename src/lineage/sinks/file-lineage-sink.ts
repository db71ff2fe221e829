import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import type { LineageSink, LineageSinkStats } from '../../core/ports/lineage-sink.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import { DeliveryQueue } from './delivery-queue.js';

export interface FileLineageSinkOptions {
  /** The NDJSON file; created with its folder, appended to across restarts. */
  path: string;
  maxQueue: number;
  logger: Logger;
  metrics?: ComponentMetrics;
}

/** Appends each event as one JSON line (what OpenLineage's file transport writes, one event a line). */
export class FileLineageSink implements LineageSink {
  readonly name = 'file';
  private readonly queue: DeliveryQueue<string>;
  private folderMade = false;

  constructor(private readonly options: FileLineageSinkOptions) {
    const { logger, metrics, path } = options;
    this.queue = new DeliveryQueue<string>({
      maxQueue: options.maxQueue,
      deliver: (line, closing) => this.append(line, closing),
      onFailed: (err) => {
        metrics?.error('SL_LINEAGE_DELIVERY_FAILED');
        logger.error({ err, path }, 'OpenLineage event not written; dropped');
      },
      onDropped: (reason) => {
        metrics?.discarded(reason);
        logger.warn({ reason, path }, 'OpenLineage event dropped before it was written');
      },
    });
  }

  emit(event: object): void {
    let line: string;
    try {
      line = `${JSON.stringify(event)}\n`;
    } catch (err) {
      // A cycle or a BigInt in the event: emit never throws into the platform.
      this.options.metrics?.received(1);
      this.queue.giveUp(new SightlineError('SL_LINEAGE_DELIVERY_FAILED', `the OpenLineage event cannot be serialised: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.options.metrics?.received(1, line.length);
    this.queue.push(line);
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(timeoutMs = 5000): Promise<void> {
    return this.queue.close(timeoutMs);
  }

  stats(): LineageSinkStats {
    return { ...this.queue.counts, queued: this.queue.size };
  }

  private async append(line: string, closing: AbortSignal): Promise<void> {
    try {
      await unlessClosed(this.write(line), closing);
      this.options.metrics?.sent(1, line.length);
    } catch (err) {
      throw new SightlineError('SL_LINEAGE_DELIVERY_FAILED', `cannot append to ${this.options.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async write(line: string): Promise<void> {
    if (!this.folderMade) {
      await mkdir(dirname(this.options.path), { recursive: true });
      this.folderMade = true;
    }
    // One write call per line with O_APPEND: a line is never interleaved with another writer's.
    await appendFile(this.options.path, line);
  }
}

/**
 * `write`, unless the sink is closed past its deadline first. A write stuck in the kernel (a FIFO
 * nobody reads, a hung network mount) cannot be called off, and close must not wait for it: the
 * event is given up, though the line may still land later.
 */
function unlessClosed(write: Promise<void>, closing: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('the sink closed before the write ended'));
    closing.addEventListener('abort', onClose, { once: true });
    void write.then(resolve, reject).finally(() => closing.removeEventListener('abort', onClose));
  });
}
