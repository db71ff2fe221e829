import { SyntheticProbe } from '../../observe/synthetic-probe.js';
import type { Component } from '../component.js';
import type { PlatformContext } from '../context.js';

/**
 * The synthetic probe: an event through the platform's own API every interval, timed until the
 * query API returns it. Needs a node that both ingests and serves; it starts once the API listens
 * and stops before the API closes.
 */
export class ProbeComponent implements Component {
  readonly name = 'probe';
  private probe: SyntheticProbe | undefined;

  constructor(private readonly ctx: PlatformContext) {}

  async start(): Promise<void> {}

  async listening(url: string): Promise<void> {
    const { config, logger, metrics } = this.ctx;
    this.probe = new SyntheticProbe({ url, intervalMs: config.probe.intervalMs, timeoutMs: config.probe.timeoutMs, logger }, metrics.registry);
    this.probe.start();
  }

  async stop(): Promise<void> {
    await this.probe?.stop();
  }
}
