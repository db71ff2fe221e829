import { isIP } from 'node:net';
import { isLoopbackBind } from '../core/loopback.js';

/** The name in a Host header, lower-cased, without its port or trailing dot; IPv6 literals keep their brackets off. */
export function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']') === -1 ? undefined : header.indexOf(']')).toLowerCase();
  const colon = header.lastIndexOf(':');
  return (colon === -1 ? header : header.slice(0, colon)).toLowerCase().replace(/\.$/, '');
}

/**
 * Which Host headers the API answers, or null when it answers any. DNS rebinding makes a browser
 * send the attacker's own name in Host while connecting to the victim's address, so names are
 * what must be checked: IP literals and localhost cannot be an attacker's name, and stay allowed.
 * A server bound to loopback with no names configured answers only those; one bound elsewhere
 * with none configured cannot know its names and answers all.
 */
export function hostCheck(bindHost: string, allowedHosts: readonly string[]): ((header: string | undefined) => boolean) | null {
  if (allowedHosts.length === 0 && !isLoopbackBind(bindHost)) return null;
  const exact = new Set(allowedHosts.filter((h) => !h.startsWith('.')).map((h) => h.toLowerCase()));
  const suffixes = allowedHosts.filter((h) => h.startsWith('.')).map((h) => h.toLowerCase());
  return (header) => {
    // HTTP/1.0 clients may send none; a browser always sends one.
    if (header === undefined) return true;
    const name = hostName(header);
    if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
    return exact.has(name) || suffixes.some((s) => name.endsWith(s) || name === s.slice(1));
  };
}
