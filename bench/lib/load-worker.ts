/**
 * The load generator, run as its own process (bench/lib/load.ts forks it) so the platform under
 * test and the client do not share a thread. It builds its batches before it is told to start.
 */
import { type EventShape, makeBatches } from './events.js';

export interface LoadPlan {
  url: string;
  shape: EventShape;
  batchSize: number;
  batches: number;
  concurrency: number;
  startTimestamp: number;
  msPerEvent: number;
  idPrefix: string;
  /** Events per second to pace at; 0 sends as fast as the platform answers. */
  targetRate: number;
}

export interface LoadReport {
  requests: number;
  accepted: number;
  rejected: number;
  throttled: number;
  errors: number;
  bytes: number;
  elapsedMs: number;
  /** CPU the load generator itself used while sending (user + system, all its threads). */
  cpuSeconds: number;
  latenciesMs: number[];
}

async function run(plan: LoadPlan): Promise<LoadReport> {
  const bodies = makeBatches(plan.batches, plan.batchSize, plan.shape, plan.startTimestamp, plan.msPerEvent, plan.idPrefix);
  process.send!({ kind: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const report: LoadReport = { requests: 0, accepted: 0, rejected: 0, throttled: 0, errors: 0, bytes: 0, elapsedMs: 0, cpuSeconds: 0, latenciesMs: [] };
  const cpuAtStart = process.cpuUsage();
  const endpoint = `${plan.url}/v1/events`;
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= bodies.length) return;
      if (plan.targetRate > 0) {
        const due = started + ((index * plan.batchSize) / plan.targetRate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const body = bodies[index]!;
      for (;;) {
        const t = performance.now();
        try {
          const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
          const text = await response.text();
          report.requests++;
          if (response.status === 200) {
            report.latenciesMs.push(performance.now() - t);
            const result = JSON.parse(text) as { accepted: number; rejected: unknown[] };
            report.accepted += result.accepted;
            report.rejected += result.rejected.length;
            report.bytes += body.length;
            break;
          }
          if (response.status === 429 || response.status === 503) {
            report.throttled++;
            await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after') ?? 1) * 1000));
            continue;
          }
          report.errors++;
          break;
        } catch {
          report.errors++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  report.elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return report;
}

process.once('message', (plan: LoadPlan) => {
  run(plan).then(
    (report) => process.send!({ kind: 'report', report }, () => process.exit(0)),
    (err) => {
      process.send!({ kind: 'error', message: String((err as Error).stack ?? err) }, () => process.exit(1));
    },
  );
});
