import type { AlertLabels } from '../core/ports/alert-sink.js';

const FNV_OFFSET_64 = 14695981039346656037n;
const FNV_PRIME_64 = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;
const SEPARATOR_BYTE = 255;
const utf8 = new TextEncoder();

/**
 * The identity of an alert: Prometheus's label-set fingerprint (prometheus/common model
 * LabelSet.Fingerprint: FNV-1a 64 over the sorted names and values, each followed by byte 255,
 * printed as 16 hex digits), so a receiver that recomputes it from the labels gets the same.
 */
export function fingerprint(labels: AlertLabels): string {
  let hash = FNV_OFFSET_64;
  const add = (byte: number): void => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME_64) & MASK_64;
  };
  // Go sorts label names by bytes; JavaScript's default sort compares UTF-16 code units, which
  // orders the same for the ASCII names Prometheus allows.
  for (const name of Object.keys(labels).sort()) {
    for (const byte of utf8.encode(name)) add(byte);
    add(SEPARATOR_BYTE);
    for (const byte of utf8.encode(labels[name]!)) add(byte);
    add(SEPARATOR_BYTE);
  }
  return hash.toString(16).padStart(16, '0');
}
