import { SightlineError } from '../core/errors.js';

/** Where the CLI finds the API unless told otherwise. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/**
 * The API's base URL from what a user typed: `localhost:8080` and `127.0.0.1:8080` mean http,
 * as curl reads them; anything that is still not an http(s) URL is refused, naming it.
 */
export function apiUrl(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new SightlineError('SL_CLI_USAGE', `"${value}" is not a URL of the Sightline API (for example http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SightlineError('SL_CLI_USAGE', `"${value}" is not an http or https URL of the Sightline API`);
  }
  return url.toString().replace(/\/$/, '');
}

/**
 * The Authorization header for an API key: the one given, else SIGHTLINE_KEY from the environment
 * (as the CLI takes it); none when neither is set (a loopback API that requires no key).
 */
export function authorization(key: string | undefined = process.env.SIGHTLINE_KEY): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** TLS verification failures: the server answered, but its certificate is not one this client trusts. */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a request never got an answer, in words a user can act on. */
export function unreachable(baseUrl: string, err: unknown): SightlineError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  if (cause?.code && CERTIFICATE_ERRORS.has(cause.code)) {
    return new SightlineError(
      'SL_CLIENT_REQUEST_FAILED',
      `the certificate of ${baseUrl} is not trusted (${cause.code}): give its CA (for --tls-self-signed, the certificate the server printed) with --ca-file or SIGHTLINE_CA_FILE`,
      { cause: err },
    );
  }
  return new SightlineError(
    'SL_CLIENT_REQUEST_FAILED',
    `cannot reach Sightline at ${baseUrl} (${why}): is \`sightline up\` running there? Give its address with --url or SIGHTLINE_URL`,
    { cause: err },
  );
}
