import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadPlan, LoadReport } from './load-worker.js';

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));

export interface PreparedLoad {
  /** Starts sending; resolves with the report when every batch is acknowledged. */
  start(): Promise<LoadReport>;
}

/** Forks a load generator and lets it build its batches; `start` then runs the plan. */
export async function prepareLoad(plan: LoadPlan): Promise<PreparedLoad> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
  const report = new Promise<LoadReport>((resolve, reject) => {
    child.on('message', (m: { kind: string; report?: LoadReport; message?: string }) => {
      if (m.kind === 'report') resolve(m.report!);
      if (m.kind === 'error') reject(new Error(m.message));
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { kind: string }) => (m.kind === 'ready' ? resolve() : reject(new Error('load generator failed to start'))));
    child.send(plan);
  });
  return {
    start() {
      child.send('go');
      return report;
    },
  };
}

export async function runLoad(plan: LoadPlan): Promise<LoadReport> {
  return (await prepareLoad(plan)).start();
}
