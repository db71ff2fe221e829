import { request as httpRequest } from 'node:http';

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON where the body is JSON, else the text. */
  body: any;
  /** From the request to the end of the answer. */
  ms: number;
}

/** One request through node:http, for what fetch will not let a test send (a Host header, any body with any type). */
export function sendRaw(base: string, r: RawRequest): Promise<RawAnswer> {
  const started = performance.now();
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(r.path, base), { method: r.method ?? 'GET', headers: { ...(body && { 'content-length': String(body.length) }), ...r.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: kept as text
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
