import { access, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

/**
 * A self-signed certificate for local testing (`--tls-self-signed`), for localhost, 127.0.0.1 and
 * ::1, kept in the data folder so clients that trust it keep trusting it across restarts. Made
 * once; the key is readable by its owner only.
 */
export async function selfSignedFiles(dataDir: string): Promise<{ certPath: string; keyPath: string; created: boolean }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'self-signed.crt');
  const keyPath = join(dir, 'self-signed.key');
  const exists = await Promise.all([access(certPath), access(keyPath)]).then(
    () => true,
    () => false,
  );
  if (exists) return { certPath, keyPath, created: false };
  const pems = await selfSignedPems({ commonName: 'localhost', days: 825, altNames: ['localhost', '127.0.0.1', '::1'] });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { certPath, keyPath, created: true };
}

/**
 * A self-signed CA certificate and its key (PEM, PKCS#8), valid for the names and addresses given:
 * its own CA, so a client that trusts the certificate trusts the server. `clientAuth` makes it
 * usable as a client certificate too (mutual TLS between brokers in the tests).
 */
export async function selfSignedPems(options: { commonName: string; days: number; altNames: string[]; clientAuth?: boolean }): Promise<{ cert: string; private: string }> {
  const { generate } = await import('selfsigned');
  return generate([{ name: 'commonName', value: options.commonName }], {
    notAfterDate: new Date(Date.now() + options.days * 86_400_000),
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, ...(options.clientAuth && { clientAuth: true }) },
      { name: 'subjectAltName', altNames: options.altNames.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })) },
    ],
  });
}
