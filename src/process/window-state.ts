import { windowKey } from '../core/window-key.js';
import type { WindowCount } from '../core/ports/processed-batch.js';

export function tumblingStart(timestamp: number, sizeMs: number): number {
  return timestamp - (((timestamp % sizeMs) + sizeMs) % sizeMs);
}

/** Counts of the windows that are still open (not final), by window and group. */
export class WindowState {
  private readonly open = new Map<string, WindowCount>();

  get size(): number {
    return this.open.size;
  }

  count(key: string): number {
    return this.open.get(key)?.count ?? 0;
  }

  set(window: WindowCount): void {
    this.open.set(windowKey(window.name, window.window, window.windowStart, window.group), window);
  }

  /** Drops windows that became final: they take no more events. */
  closeThrough(finalizeThrough: number): void {
    for (const [key, window] of this.open) if (window.windowEnd <= finalizeThrough) this.open.delete(key);
  }
}
