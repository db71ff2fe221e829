import type { ObjectStoreOptions } from '../../store-options.js';

/** What the client was built from, resolved from the config and the standard AWS variables. */
export interface ResolvedObjectStore {
  bucket: string;
  prefix: string;
  endpoint: string | undefined;
  region: string;
  pathStyle: boolean;
}

export const env = (name: string): string | undefined => (process.env[name] === '' ? undefined : process.env[name]);

/** Bucket, prefix, endpoint, region and addressing: from the config, else the standard AWS variables. */
export function resolveObjectStore(options: ObjectStoreOptions): ResolvedObjectStore {
  const endpoint = options.endpoint ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL');
  return {
    bucket: options.bucket,
    prefix: options.prefix,
    endpoint,
    region: options.region ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
    pathStyle: options.pathStyle ?? endpoint !== undefined,
  };
}
