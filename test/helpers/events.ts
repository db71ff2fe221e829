/** A page_view event of the README's flow. */
export function pageView(id: string, timestamp: number, page: string, userId = 'u1', source = 'web'): Record<string, unknown> {
  return { id, source, type: 'page_view', timestamp, payload: { user_id: userId, page } };
}

export async function postEvents(url: string, events: unknown[], headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(events),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** POSTs a JSON body; answers the status and the JSON answer. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Polls until nothing waits in the log for the processor. */
export async function waitForBacklogZero(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getJson(`${url}/v1/status`);
    if (status !== 200) throw new Error(`GET /v1/status answered ${status}: ${JSON.stringify(body)}`);
    const backlog = body.processor.backlog as number;
    if (backlog === 0) return;
    if (Date.now() > deadline) throw new Error(`backlog still ${backlog} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
