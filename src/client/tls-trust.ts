import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, setGlobalDispatcher } from 'undici';

/** Trust a CA file (SIGHTLINE_CA_FILE, --ca-file) for every request this process makes, besides the system's roots. */
export function trustCa(ca: string | Buffer): void {
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ca.toString()] } }));
}

/**
 * What the platform's own probe connects with: the system's roots and the server's own
 * certificate (a self-signed one is then trusted), the chain verified; the name is not, as the
 * probe dials its own loopback address, which a certificate for a public name does not list.
 */
export function ownServerDispatcher(cert: string | Buffer): Dispatcher {
  return new Agent({ connect: { ca: [...rootCertificates, cert.toString()], checkServerIdentity: () => undefined } });
}
