import type { AlertsConfig } from '../alerts-options.js';
import { EwmaBaseline } from '../ewma-baseline.js';
import type { AlertSignals } from '../signals.js';
import type { AlertCondition, AlertRule } from './alert-rule.js';

/** A gap longer than this many buckets (the engine was stopped, the clock jumped) starts the buckets afresh. */
const MAX_GAP_BUCKETS = 1000;

interface SeriesState {
  source: string;
  type: string;
  /** The cumulative count at the last reading. */
  cumulative: number;
  /** Events counted into the open bucket so far. */
  open: number;
  baseline: EwmaBaseline;
  anomalousRun: number;
  anomalousSum: number;
  /** The judgment of the last closed bucket, which holds until the next one closes. */
  condition: AlertCondition | undefined;
}

interface KeptSeries {
  source: string;
  type: string;
  baseline: ReturnType<EwmaBaseline['snapshot']>;
  anomalousRun: number;
  anomalousSum: number;
  condition?: AlertCondition;
}

/**
 * Events per source/type per closed bucket against a learned EWMA baseline.
 *
 * Readings come every evaluation interval, not at bucket edges: the events between two readings
 * are shared among the buckets that interval spans in proportion to time, which is exact for a
 * steady stream and close for any stream when the interval is small against the bucket.
 *
 * An anomalous bucket does not update the baseline: if it did, an outage would become the new
 * normal within a few buckets (at alpha 0.3, five buckets take the baseline to a sixth of what
 * it was) and the alert would resolve while the source was still down. A lasting change of level
 * (a producer added or retired) would then fire forever, so after `relearnAfterBuckets`
 * consecutive anomalous buckets their mean becomes the baseline and the alert resolves.
 */
export class VolumeRule implements AlertRule {
  readonly alertname = 'SightlineVolumeAnomaly';
  private readonly series = new Map<string, SeriesState>();
  private previousTime: number | undefined;
  /** Buckets before this one began before the first reading; their counts are partial and not judged. */
  private firstFullBucket = 0;

  constructor(readonly config: AlertsConfig['volume']) {}

  evaluate(signals: AlertSignals): AlertCondition[] {
    const { now } = signals;
    const bucketMs = this.config.bucketMs;
    const deltas = this.readDeltas(signals);
    const previous = this.previousTime;
    this.previousTime = now;
    if (previous === undefined || now - previous > MAX_GAP_BUCKETS * bucketMs || now < previous) {
      for (const state of this.series.values()) state.open = 0;
      this.firstFullBucket = Math.ceil(now / bucketMs) * bucketMs;
    } else {
      this.spread(deltas, previous, now);
    }
    return [...this.series.values()].flatMap((state) => (state.condition ? [state.condition] : []));
  }

  /**
   * The learned baselines and anomaly runs per series. After a restart the buckets start afresh
   * (the first reading only sets where counting begins), but nothing learned is relearned.
   */
  snapshot(): KeptSeries[] {
    return [...this.series.values()].map(({ source, type, baseline, anomalousRun, anomalousSum, condition }) => ({
      source,
      type,
      baseline: baseline.snapshot(),
      anomalousRun,
      anomalousSum,
      ...(condition && { condition }),
    }));
  }

  restore(kept: unknown): void {
    if (!Array.isArray(kept)) return;
    for (const k of kept as KeptSeries[]) {
      const baseline = this.newBaseline();
      baseline.restore(k.baseline);
      this.series.set(`${k.source}\u0000${k.type}`, { source: k.source, type: k.type, cumulative: 0, open: 0, baseline, anomalousRun: k.anomalousRun, anomalousSum: k.anomalousSum, condition: k.condition });
    }
  }

  private newBaseline(): EwmaBaseline {
    return new EwmaBaseline({ alpha: this.config.alpha, hourOfWeek: this.config.hourOfWeek, slotWarmup: this.config.warmupBuckets });
  }

  /** Increase of each series since the last reading; a series new since then counts from zero. */
  private readDeltas(signals: AlertSignals): Map<SeriesState, number> {
    const deltas = new Map<SeriesState, number>();
    const known = this.previousTime !== undefined;
    for (const { source, type, events } of signals.volume) {
      const key = `${source}\u0000${type}`;
      let state = this.series.get(key);
      if (!state) {
        state = {
          source,
          type,
          cumulative: known ? 0 : events,
          open: 0,
          baseline: this.newBaseline(),
          anomalousRun: 0,
          anomalousSum: 0,
          condition: undefined,
        };
        this.series.set(key, state);
      }
      // A counter that went down restarted from zero.
      deltas.set(state, events >= state.cumulative ? events - state.cumulative : events);
      state.cumulative = events;
    }
    return deltas;
  }

  /** Shares each delta among the buckets of (from, to] and judges every bucket that closed. */
  private spread(deltas: Map<SeriesState, number>, from: number, to: number): void {
    const bucketMs = this.config.bucketMs;
    const span = to - from;
    let start = Math.floor(from / bucketMs) * bucketMs;
    for (;;) {
      const end = start + bucketMs;
      const share = span === 0 ? 1 : (Math.min(end, to) - Math.max(start, from)) / span;
      for (const [state, delta] of deltas) state.open += delta * share;
      if (end > to) return;
      for (const state of this.series.values()) {
        if (start >= this.firstFullBucket) this.judge(state, start, state.open);
        state.open = 0;
      }
      start = end;
      if (start === to) return;
    }
  }

  private judge(state: SeriesState, bucketStart: number, count: number): void {
    const { warmupBuckets, minBaselineEvents, dropRatio, spikeRatio, relearnAfterBuckets } = this.config;
    const expected = state.baseline.expected(bucketStart);
    if (expected === undefined || state.baseline.samples < warmupBuckets) {
      state.baseline.learn(bucketStart, count);
      state.condition = undefined;
      return;
    }
    const direction =
      expected >= minBaselineEvents && count < expected * (1 - dropRatio)
        ? 'drop'
        : count > Math.max(expected, minBaselineEvents) * spikeRatio
          ? 'spike'
          : undefined;
    if (!direction) {
      state.anomalousRun = 0;
      state.anomalousSum = 0;
      state.baseline.learn(bucketStart, count);
      state.condition = undefined;
      return;
    }
    state.anomalousRun++;
    state.anomalousSum += count;
    if (relearnAfterBuckets > 0 && state.anomalousRun >= relearnAfterBuckets) {
      state.baseline.relearn(state.anomalousSum / state.anomalousRun);
      state.anomalousRun = 0;
      state.anomalousSum = 0;
      state.condition = undefined;
      return;
    }
    state.condition = volumeCondition(state, direction, count, expected, this.config);
  }
}

function volumeCondition(state: SeriesState, direction: 'drop' | 'spike', count: number, expected: number, config: AlertsConfig['volume']): AlertCondition {
  const bucketS = config.bucketMs / 1000;
  const events = Math.round(count);
  const baseline = Math.round(expected * 10) / 10;
  const bound =
    direction === 'drop'
      ? `below ${Math.round(expected * (1 - config.dropRatio) * 10) / 10}`
      : `above ${Math.round(Math.max(expected, config.minBaselineEvents) * config.spikeRatio * 10) / 10}`;
  return {
    labels: { source: state.source, type: state.type, direction },
    annotations: {
      summary: `Volume ${direction} for ${state.source}/${state.type}: ${events} events in the last ${bucketS} s bucket against a baseline of ${baseline}.`,
      description: `${state.source}/${state.type} sent ${events} events in the bucket that just closed; the learned baseline is ${baseline} events per ${bucketS} s, and a ${direction} is ${bound}.`,
    },
    value: count,
  };
}
