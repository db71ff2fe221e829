/**
 * Events of the README's page_view flow. `small` is about 200 bytes as NDJSON; `wide` about 1 KB,
 * a payload with the kind of fields a web SDK sends.
 */
export type EventShape = 'small' | 'wide';

export const PAGES = Array.from({ length: 50 }, (_, i) => `/product/${1000 + i}`);

export function makeEvent(n: number, shape: EventShape, timestamp: number, idPrefix = 'b'): Record<string, unknown> {
  const base = {
    id: `${idPrefix}-${n}`,
    source: 'web',
    type: 'page_view',
    timestamp,
    payload: {
      user_id: `u${n % 5000}`,
      page: PAGES[n % PAGES.length],
      referrer: 'https://www.example.com/search?q=shoes',
      session_id: `s-${Math.floor(n / 20)}`,
    } as Record<string, unknown>,
  };
  if (shape === 'wide') {
    Object.assign(base.payload, {
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      viewport: { width: 1440, height: 900, dpr: 2 },
      locale: 'en-GB',
      utm: { source: 'newsletter', medium: 'email', campaign: 'black-friday-2026', content: 'hero-banner' },
      experiment_variants: ['checkout-v2', 'price-anchor-b', 'search-ranker-7'],
      page_title: 'Running shoes for trail and road — free delivery over 50 EUR — Example Store',
      performance: { ttfb_ms: 83, fcp_ms: 412, lcp_ms: 1180, cls: 0.02, inp_ms: 96 },
      geo: { country: 'DE', region: 'BE', city: 'Berlin' },
      consent: { analytics: true, marketing: false },
      cart: { items: 3, value_cents: 12999, currency: 'EUR' },
      tags: ['returning', 'logged-in', 'mobile-app-installed'],
    });
  }
  return base;
}

/** NDJSON bodies of `batchSize` events each, built up front so generation is not measured. */
export function makeBatches(count: number, batchSize: number, shape: EventShape, startTimestamp: number, msPerEvent: number, idPrefix = 'b'): Buffer[] {
  const batches: Buffer[] = [];
  for (let b = 0; b < count; b++) {
    const lines: string[] = [];
    for (let i = 0; i < batchSize; i++) {
      const n = b * batchSize + i;
      lines.push(JSON.stringify(makeEvent(n, shape, startTimestamp + Math.floor(n * msPerEvent), idPrefix)));
    }
    batches.push(Buffer.from(lines.join('\n') + '\n'));
  }
  return batches;
}
