import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from '@platformatic/kafka';
import { SightlineError } from '../../core/errors.js';

export const KAFKA_SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** Where this node's TLS and SASL settings for Kafka come from: paths, as the config names them. */
export interface KafkaSecurityOptions {
  /** TLS to the brokers; the system's CAs are trusted unless `caPath` names the ones to trust. */
  tls?: { caPath?: string; certPath?: string; keyPath?: string; serverName?: string };
  /**
   * SASL: this node's own principal, so each role gets only the ACLs it needs. The password is
   * read from `passwordPath`, else `password`, else the SIGHTLINE_KAFKA_PASSWORD variable.
   */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password?: string; passwordPath?: string };
}

/** The TLS and SASL options every client of one cluster connects with. */
export type KafkaSecurity = Pick<ConnectionOptions, 'tls' | 'sasl'>;

export const KAFKA_PASSWORD_ENV = 'SIGHTLINE_KAFKA_PASSWORD';

const readPem = async (what: string, path: string): Promise<string> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new SightlineError('SL_CONFIG_INVALID', `log.kafka.tls.${what}: cannot read ${path}: ${(error as Error).message}`);
  }
};

/**
 * Reads the certificate, key and password files once, at start. Certificates are always verified:
 * there is no setting that turns verification off.
 */
export async function loadKafkaSecurity(options: KafkaSecurityOptions | undefined, env: NodeJS.ProcessEnv = process.env): Promise<KafkaSecurity> {
  const security: KafkaSecurity = {};
  const tls = options?.tls;
  if (tls) {
    if ((tls.certPath === undefined) !== (tls.keyPath === undefined)) {
      throw new SightlineError('SL_CONFIG_INVALID', 'log.kafka.tls: a client certificate needs both cert and key');
    }
    security.tls = {
      rejectUnauthorized: true,
      ...(tls.caPath !== undefined && { ca: await readPem('ca', tls.caPath) }),
      ...(tls.certPath !== undefined && { cert: await readPem('cert', tls.certPath) }),
      ...(tls.keyPath !== undefined && { key: await readPem('key', tls.keyPath) }),
      ...(tls.serverName !== undefined && { servername: tls.serverName }),
    };
  }
  const sasl = options?.sasl;
  if (sasl) {
    if (sasl.mechanism === 'PLAIN' && !tls) throw new SightlineError('SL_CONFIG_INVALID', 'log.kafka.sasl: PLAIN sends the password as it is; it needs log.kafka.tls');
    let password = sasl.password;
    if (sasl.passwordPath !== undefined) {
      try {
        password = (await readFile(sasl.passwordPath, 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        throw new SightlineError('SL_CONFIG_INVALID', `log.kafka.sasl.passwordFile: cannot read ${sasl.passwordPath}: ${(error as Error).message}`);
      }
    }
    password ??= env[KAFKA_PASSWORD_ENV];
    if (!password) {
      throw new SightlineError('SL_CONFIG_INVALID', `log.kafka.sasl: no password for "${sasl.username}" (set passwordFile, password, or ${KAFKA_PASSWORD_ENV})`);
    }
    security.sasl = { mechanism: sasl.mechanism, username: sasl.username, password };
  }
  return security;
}
