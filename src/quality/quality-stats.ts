import { Counter, type Registry } from 'prom-client';
import type { QualityCount } from '../core/ports/processed-batch.js';

const MAX_DATASETS = 1000;
const OTHER = '(other)';

/**
 * Quality results as Prometheus counters (`sightline_quality_checks_total{dataset,rule,severity,outcome}`)
 * and running totals per dataset and rule for the API. Producers choose datasets (source.type),
 * so past MAX_DATASETS new ones share the series "(other)".
 */
export class QualityStats {
  private readonly counter: Counter<'dataset' | 'rule' | 'severity' | 'outcome'>;
  private readonly totals = new Map<string, { dataset: string; rule: string; severity: string; passed: number; failed: number }>();
  private readonly datasets = new Set<string>();

  constructor(registry: Registry) {
    this.counter = new Counter({
      name: 'sightline_quality_checks_total',
      help: 'Quality rule checks of processed events, by dataset (source.type), rule, severity and outcome (pass, fail).',
      labelNames: ['dataset', 'rule', 'severity', 'outcome'],
      registers: [registry],
    });
  }

  count(results: readonly QualityCount[]): void {
    for (const r of results) {
      if (!this.datasets.has(r.dataset) && this.datasets.size < MAX_DATASETS) this.datasets.add(r.dataset);
      const dataset = this.datasets.has(r.dataset) ? r.dataset : OTHER;
      if (r.passed > 0) this.counter.inc({ dataset, rule: r.rule, severity: r.severity, outcome: 'pass' }, r.passed);
      if (r.failed > 0) this.counter.inc({ dataset, rule: r.rule, severity: r.severity, outcome: 'fail' }, r.failed);
      const key = `${dataset}\n${r.rule}`;
      const total = this.totals.get(key) ?? { dataset, rule: r.rule, severity: r.severity, passed: 0, failed: 0 };
      total.passed += r.passed;
      total.failed += r.failed;
      this.totals.set(key, total);
    }
  }

  /** Checks since start per dataset and rule (the store's summary holds them across restarts). */
  snapshot(): Array<{ dataset: string; rule: string; severity: string; passed: number; failed: number }> {
    return [...this.totals.values()].map((t) => ({ ...t }));
  }
}
