import { readdir, readFile } from 'node:fs/promises';

/** CPU seconds a process has used so far, in total and on its main thread (Linux /proc). */
export interface CpuSample {
  totalSeconds: number;
  mainThreadSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

async function threadSeconds(pid: number, tid: string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return 0; // the thread ended between the listing and the read
  // Fields after the parenthesised name; utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export async function sampleCpu(pid: number): Promise<CpuSample> {
  let totalSeconds = 0;
  let mainThreadSeconds = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const seconds = await threadSeconds(pid, tid);
    totalSeconds += seconds;
    if (tid === String(pid)) mainThreadSeconds = seconds;
  }
  return { totalSeconds, mainThreadSeconds };
}

/**
 * CPU microseconds per event between two samples. Threads that ended in between are missed, which
 * only the planner thread could do (when it is respawned after a failure).
 */
export function cpuPerEvent(before: CpuSample, after: CpuSample, events: number): { totalUs: number; mainThreadUs: number } {
  return {
    totalUs: ((after.totalSeconds - before.totalSeconds) / events) * 1e6,
    mainThreadUs: ((after.mainThreadSeconds - before.mainThreadSeconds) / events) * 1e6,
  };
}
