import { cpus, totalmem } from 'node:os';

/** What the numbers were measured on; every result row carries it. */
export function describeMachine(): { cores: number; cpu: string; memoryGiB: number; node: string; date: string } {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    date: new Date().toISOString(),
  };
}
