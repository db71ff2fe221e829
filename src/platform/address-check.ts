import { createServer } from 'node:net';
import { SightlineError } from '../core/errors.js';
import type { ListenOptions } from '../serve/api-options.js';

/** The error for an address another process listens on, with what to change. */
export function addressInUse(server: Pick<ListenOptions, 'host' | 'port'>, cause?: unknown): SightlineError {
  return new SightlineError(
    'SL_SERVER_ADDRESS_IN_USE',
    `${server.host}:${server.port} is already taken by another process (another sightline up?): stop it, or choose another port with --port or server.port`,
    { cause },
  );
}

/**
 * Refuses to start when the API's address is taken, before anything opens or creates a file in
 * the data folder: the API listens last, after the stores and the log, and a start that would
 * only fail there should leave nothing behind. (Another process can still take the port in
 * between; the API's own listen reports that with the same code.)
 */
export async function ensureAddressFree(server: Pick<ListenOptions, 'host' | 'port'>): Promise<void> {
  if (server.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    // Only a taken port is refused here; any other reason the address cannot be had (one this
    // machine does not have) is left to the API's own listen to report.
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? reject(addressInUse(server, err)) : resolve()));
    probe.listen({ host: server.host, port: server.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
