import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SightlineError } from '../../../core/errors.js';
import type { ObjectStoreOptions } from '../../store-options.js';
import { env, resolveObjectStore, type ResolvedObjectStore } from './object-store-settings.js';

export type { ResolvedObjectStore };

async function readSecret(what: string, path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new SightlineError('SL_CONFIG_INVALID', `cannot read the object store's ${what} file ${path}: ${(err as Error).message}`);
  }
}

/**
 * An S3 client for the cold store. Retries (the SDK's standard mode: exponential backoff with
 * jitter on 5xx, throttling and dropped connections) are bounded by `maxAttempts`; each request is
 * bounded in time so a stalled server cannot hold an export forever.
 */
export async function openS3Client(options: ObjectStoreOptions, limits: { maxAttempts: number; requestTimeoutMs: number }): Promise<{ client: S3Client; resolved: ResolvedObjectStore }> {
  const resolved = resolveObjectStore(options);
  const { endpoint, region, pathStyle } = resolved;
  let credentials: S3ClientConfig['credentials'];
  if (options.accessKeyId !== undefined) {
    const secretAccessKey =
      options.secretAccessKey ??
      (options.secretAccessKeyPath !== undefined ? await readSecret('secret key', options.secretAccessKeyPath) : env('AWS_SECRET_ACCESS_KEY'));
    if (!secretAccessKey) {
      throw new SightlineError('SL_CONFIG_INVALID', 'cold.objectStore.accessKeyId needs a secret: secretAccessKeyFile, secretAccessKey or AWS_SECRET_ACCESS_KEY');
    }
    credentials = { accessKeyId: options.accessKeyId, secretAccessKey };
  }
  const ca = options.caPath !== undefined ? await readSecret('CA', options.caPath) : undefined;
  const client = new S3Client({
    region,
    forcePathStyle: pathStyle,
    maxAttempts: limits.maxAttempts,
    retryMode: 'standard',
    ...(endpoint !== undefined && { endpoint }),
    ...(credentials && { credentials }),
    requestHandler: {
      requestTimeout: limits.requestTimeoutMs,
      connectionTimeout: Math.min(10_000, limits.requestTimeoutMs),
      ...(ca !== undefined && { httpsAgent: new Agent({ ca, keepAlive: true }) }),
    },
  });
  return { client, resolved };
}
