import { readFileSync } from 'node:fs';
import { PROBE_SOURCE, PROBE_TYPE } from '../../core/probe-event.js';
import { SyntheticProbe } from '../../observe/synthetic-probe.js';
import type { Component } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { KeysComponent } from './keys.js';
import type { StoresComponent } from './stores.js';

/**
 * The synthetic probe: an event through the platform's own API every interval, timed until the
 * query API returns it. Needs a node that both ingests and serves; it starts once the API listens
 * and stops before the API closes.
 */
export class ProbeComponent implements Component {
  readonly name = 'probe';
  private probe: SyntheticProbe | undefined;
  private startedAt = Date.now();

  constructor(
    private readonly ctx: PlatformContext,
    private readonly stores: StoresComponent,
    private readonly keys: KeysComponent,
  ) {}

  async start(): Promise<void> {}

  async listening(url: string): Promise<void> {
    const { config, logger, metrics } = this.ctx;
    const { intervalMs, timeoutMs } = config.probe;
    // A probe event read back is deleted, with any a failed probe left in the last minutes (older
    // than two timeouts): the canary measures the path and leaves no data behind.
    this.startedAt = Date.now();
    const onRead = async (id: string, sentAt: number): Promise<void> => {
      await this.stores.hot.forgetProbeEvents({ from: sentAt - 10 * timeoutMs, to: sentAt, id, othersBefore: sentAt - 2 * timeoutMs });
    };
    // A key of this node's only, in memory: the probe goes through access control as any producer does.
    const key = this.keys.keys.nodeKey('probe (this node)', [
      { scope: 'ingest:write', resources: [`${PROBE_SOURCE}.${PROBE_TYPE}`] },
      { scope: 'query:read', resources: ['events'] },
    ]);
    const tls = config.server.tls;
    this.probe = new SyntheticProbe({ url, key, intervalMs, timeoutMs, logger, onRead, ...(tls && { serverCert: readFileSync(tls.certPath) }) }, metrics.registry);
    this.probe.start();
  }

  async stop(): Promise<void> {
    if (!this.probe) return;
    await this.probe.stop();
    // No probe is in flight now: whatever it left in the store since this start goes too.
    const now = Date.now();
    const from = this.startedAt - 2 * this.ctx.config.probe.timeoutMs;
    await this.stores.hot.forgetProbeEvents({ from, to: now, othersBefore: now + 1 }).catch((err: unknown) => this.ctx.logger.warn({ err }, 'could not delete the probe events'));
  }
}
