import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { SightlineError } from '../core/errors.js';
import type { ListenOptions } from './api-options.js';

type TlsFiles = NonNullable<ListenOptions['tls']>;

/** The certificate and key as Node's TLS takes them; a file that cannot be read stops the start with what to fix. */
export function readTlsFiles(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) };
  } catch (err) {
    throw new SightlineError('SL_CONFIG_INVALID', `server.tls: cannot read ${(err as NodeJS.ErrnoException).path ?? 'the certificate or key'}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Serves a renewed certificate without a restart: when the certificate or key file changes, the
 * server's secure context is replaced; connections already open keep theirs. A pair that does
 * not load (a key that does not match, a half-written file) keeps the previous one, and is tried
 * again at the next change.
 */
export function reloadTlsOnChange(app: FastifyInstance, tls: TlsFiles): void {
  const stamp = () => {
    try {
      return [tls.certPath, tls.keyPath].map((p) => `${statSync(p).mtimeMs}:${statSync(p).size}`).join('|');
    } catch {
      return 'unreadable';
    }
  };
  let loaded = stamp();
  const timer = setInterval(() => {
    const now = stamp();
    if (now === loaded || now === 'unreadable') return;
    try {
      (app.server as HttpsServer).setSecureContext(readTlsFiles(tls));
      loaded = now;
      app.log.info({ cert: tls.certPath }, 'TLS certificate reloaded');
    } catch (err) {
      app.log.error({ err, cert: tls.certPath }, 'the changed TLS certificate or key does not load; still serving the previous one');
    }
  }, tls.reloadIntervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/**
 * The certificate as a TLS context for a server that is not the API's (the Postgres port), made
 * again when its files change, so a renewed certificate is served from the next connection on.
 */
export function tlsContextOf(tls: TlsFiles): () => SecureContext {
  let stamp = '';
  let context: SecureContext | undefined;
  return () => {
    let now: string;
    try {
      now = [tls.certPath, tls.keyPath].map((p) => `${statSync(p).mtimeMs}:${statSync(p).size}`).join('|');
    } catch {
      now = stamp;
    }
    if (!context || now !== stamp) {
      try {
        context = createSecureContext(readTlsFiles(tls));
        stamp = now;
      } catch (err) {
        if (!context) throw err;
      }
    }
    return context;
  };
}
