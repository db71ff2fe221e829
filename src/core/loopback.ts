const LOOPBACK_BINDS = new Set(['localhost', '::1', '[::1]']);

/** Whether a server bound to this address listens on this machine's loopback only. */
export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_BINDS.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}
