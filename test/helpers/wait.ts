import assert from 'node:assert/strict';

/**
 * Polls `check` every 50 ms until it holds; fails naming `what` and the last `state` after `ms`.
 * Resolves with the time it took, for tests that report how long something needed.
 */
export async function waitUntil(what: string, ms: number, check: () => boolean, state: () => unknown = () => undefined): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail(`${what} within ${ms} ms; last state: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

/**
 * Polls an async check every 200 ms until it holds, failing with `what` (and the last error the
 * check threw, if it threw: a file not written yet reads as "not yet") after `timeoutMs`.
 */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const held = await check().catch((err: unknown) => {
      lastError = err;
      return false;
    });
    if (held) return;
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
