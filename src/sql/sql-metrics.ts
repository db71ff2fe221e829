import { Counter, Histogram, type Registry } from 'prom-client';

/** What SQL on read did: statements by outcome, their duration, the rows they answered and the cold files they read. */
export class SqlMetrics {
  private readonly statements: Counter<'outcome'>;
  private readonly duration: Histogram;
  private readonly rows: Counter;
  private readonly files: Counter;

  constructor(registry: Registry) {
    this.statements = new Counter({ name: 'sightline_sql_statements_total', help: 'SQL on read statements, by outcome: ok or the error code.', labelNames: ['outcome'], registers: [registry] });
    this.statements.inc({ outcome: 'ok' }, 0);
    this.duration = new Histogram({
      name: 'sightline_sql_statement_duration_seconds',
      help: 'Time from a SQL statement arriving to its last row (or its error).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.rows = new Counter({ name: 'sightline_sql_rows_total', help: 'Rows SQL on read statements answered.', registers: [registry] });
    this.files = new Counter({ name: 'sightline_sql_cold_files_read_total', help: 'Cold data files SQL on read statements read, after pruning on event time.', registers: [registry] });
  }

  finished(outcome: string, seconds: number, rows: number, coldFiles: number): void {
    this.statements.inc({ outcome });
    this.duration.observe(seconds);
    this.rows.inc(rows);
    this.files.inc(coldFiles);
  }
}
