import { countDeadLetter, countersOf } from './processor-counters.js';
import type { DeadLetter } from '../core/dead-letter.js';
import type { SightlineEvent } from '../core/envelope.js';
import { SightlineError } from '../core/errors.js';
import { encodeEventRows } from '../core/event-rows.js';
import type { LogRecord } from '../core/ports/log.js';
import type { PipelineStore } from '../core/ports/pipeline-store.js';

const RETRY_DELAY_MS = 250;
/** Failures of a batch of one event, with the store taking other writes, before the event is set aside. */
const POISON_ATTEMPTS = 3;
const MAX_POISON_IN_A_ROW = 5;

/** What narrowing a failing batch down needs of the processor. */
export interface PieceCommitter {
  /** Plans and commits these records; resolves once they are committed. */
  commit(records: readonly LogRecord[]): Promise<void>;
  /** Drops what was planned and not committed, and rebuilds the state from the store. */
  restore(): Promise<void>;
  /** Commits the event's offset with it as a dead letter, and nothing else. */
  setAside(record: LogRecord, letter: DeadLetter, err: Error): Promise<void>;
  /** Why the store takes no writes at all, if so. */
  unwritable(): Promise<string | undefined>;
}

/**
 * Finds the event a batch keeps failing on and sets it aside, so one bad event never stalls the
 * pipeline. A store that takes no writes at all is not the event's fault: that failure goes back
 * to the normal retry, and so does a run of events failing alone with nothing committed between
 * them (the commit path is broken, not the events).
 */
export class PoisonEvents {
  /** Events set aside since the last commit that stored rows. */
  private inARow = 0;

  /** A commit stored rows: the commit path works. */
  noteStoredRows(): void {
    this.inARow = 0;
  }

  /**
   * Commits `records` in pieces: per partition, a prefix of its records at a time, halved at each
   * failure, down to one record; one that still fails while the store takes other writes is set
   * aside (stage sink when the store refused it, process when planning failed).
   */
  async isolate(records: readonly LogRecord[], committer: PieceCommitter): Promise<void> {
    for (const list of byPartition(records)) {
      let pending = list;
      let size = pending.length;
      let singleFailures = 0;
      while (pending.length > 0) {
        const piece = pending.slice(0, size);
        try {
          await committer.commit(piece);
          pending = pending.slice(piece.length);
          size = pending.length;
          singleFailures = 0;
        } catch (err) {
          await committer.restore();
          if (piece.length > 1) {
            size = Math.ceil(piece.length / 2);
            continue;
          }
          if (await committer.unwritable()) throw err;
          if (this.inARow >= MAX_POISON_IN_A_ROW) {
            throw new SightlineError('SL_STORE_WRITE_FAILED', `${this.inARow} events in a row failed alone with nothing committed between them; not setting more aside: ${(err as Error).message}`, { cause: err });
          }
          if (++singleFailures < POISON_ATTEMPTS) {
            await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
            continue;
          }
          await committer.setAside(piece[0]!, poisonLetter(piece[0]!, err as Error), err as Error);
          this.inARow++;
          // Its offset is committed: the state starts again from the store.
          await committer.restore();
          pending = pending.slice(1);
          size = pending.length;
          singleFailures = 0;
        }
      }
    }
  }
}

function byPartition(records: readonly LogRecord[]): LogRecord[][] {
  const lists = new Map<number, LogRecord[]>();
  for (const r of records) {
    const list = lists.get(r.partition) ?? [];
    list.push(r);
    lists.set(r.partition, list);
  }
  return [...lists.values()].map((list) => list.sort((a, b) => a.offset - b.offset));
}

/** The dead letter of an event that fails alone: its bytes as the log holds them, and why. */
function poisonLetter(record: LogRecord, err: Error): DeadLetter {
  let event: Partial<SightlineEvent> = {};
  try {
    event = JSON.parse(record.value.toString('utf8')) as SightlineEvent;
  } catch {
    // undecodable: the letter keeps the bytes and no id
  }
  const code = err instanceof SightlineError ? err.code : 'SL_STORE_WRITE_FAILED';
  const sink = code === 'SL_STORE_WRITE_FAILED';
  return {
    reason: {
      code,
      stage: sink ? 'sink' : 'process',
      message: `${sink ? 'the hot store refused this event' : 'processing failed on this event'} while it takes other writes: ${err.message}`,
      ...(record.headers.traceparent && { traceparent: record.headers.traceparent }),
    },
    original: record.value,
    at: Date.now(),
    origin: `${record.topic}/${record.partition}/${record.offset}`,
    ...(typeof event.id === 'string' && { eventId: event.id }),
    ...(typeof event.source === 'string' && { source: event.source }),
    ...(typeof event.type === 'string' && { type: event.type }),
  };
}

/** Commits the store's checkpoint again with only the event's offset moved past it, and the event as a dead letter. */
export async function commitSetAside(store: PipelineStore, pipeline: string, partitions: number, record: LogRecord, letter: DeadLetter): Promise<void> {
  const checkpoint = await store.loadCheckpoint(pipeline, partitions);
  const counters = countersOf(checkpoint);
  countDeadLetter(counters, letter.reason.code);
  const offsets = new Map(checkpoint.offsets);
  offsets.set(record.partition, record.offset + 1);
  const batch = {
    pipeline,
    rows: encodeEventRows([]),
    windows: [],
    finalBounds: checkpoint.finalBounds,
    watermark: checkpoint.watermark,
    streams: checkpoint.streams,
    offsets,
    duplicates: checkpoint.duplicates,
    late: checkpoint.late,
    counters,
  };
  await store.commit(batch, [letter]);
}
