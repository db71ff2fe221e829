import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether to skip a browser test. In CI it must run: .ci/run installs Debian's chromium. */
export function chromiumSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) throw new Error(`Chromium is not at ${CHROMIUM}, and CI must test the dashboard in it (apt-get install chromium)`);
  return `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
}

/** Flags for a headless Chromium on a machine without network beyond loopback. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
