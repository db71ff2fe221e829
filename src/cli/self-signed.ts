import { access, mkdir, writeFile } from 'node:fs/promises';
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
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    notAfterDate: new Date(Date.now() + 825 * 86_400_000),
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { certPath, keyPath, created: true };
}
