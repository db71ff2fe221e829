import type { ProcessedBatch } from '../../src/core/ports/processed-batch.js';

/**
 * A batch's event time when it read one stream: its watermark, the stream's clock, and the
 * aggregation's windows final through `through` (none yet when null).
 */
export function oneStreamAt(watermark: number, through: number | null = null, aggregation = 'pv', stream = 'web/page_view'): Pick<ProcessedBatch, 'watermark' | 'streams' | 'finalBounds'> {
  return {
    watermark,
    streams: [{ stream, watermark, finalizedThrough: through, maxEventTime: watermark + 5000, lastEventAt: null }],
    finalBounds: through === null ? {} : { [aggregation]: through },
  };
}
