/** A wait that can be ended early: a processor stopping does not sit out its retry backoff. */
export class WakeableDelay {
  private wake: (() => void) | undefined;

  async wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** Ends the wait in progress, if any. */
  end(): void {
    this.wake?.();
  }
}
