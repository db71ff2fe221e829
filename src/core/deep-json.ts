/**
 * JSON text of a value JSON.parse produced, written without recursion: JSON.parse takes nesting
 * far deeper than JSON.stringify's call stack (20,000 levels in a 40 KB body), and an event refused
 * for its depth must still reach the dead-letter queue as it came. Plain data only: as
 * JSON.stringify does, `undefined` is left out of objects and written as null in arrays.
 */
export function stringifyWithoutRecursion(value: unknown): string {
  const out: string[] = [];
  const stack: Array<{ items: unknown[]; next: number } | { object: Record<string, unknown>; keys: string[]; next: number }> = [];
  let pending: { value: unknown } | undefined = { value };
  for (;;) {
    if (pending) {
      const v = pending.value;
      pending = undefined;
      if (Array.isArray(v)) {
        out.push('[');
        stack.push({ items: v, next: 0 });
      } else if (v !== null && typeof v === 'object') {
        out.push('{');
        stack.push({ object: v as Record<string, unknown>, keys: Object.keys(v), next: 0 });
      } else {
        out.push(JSON.stringify(v) ?? 'null');
      }
    }
    const top = stack[stack.length - 1];
    if (!top) return out.join('');
    if ('items' in top) {
      if (top.next < top.items.length) {
        if (top.next > 0) out.push(',');
        pending = { value: top.items[top.next++] };
      } else {
        out.push(']');
        stack.pop();
      }
      continue;
    }
    while (top.next < top.keys.length && top.object[top.keys[top.next]!] === undefined) top.next++;
    if (top.next < top.keys.length) {
      const key = top.keys[top.next]!;
      out.push(`${top.next > 0 && out[out.length - 1] !== '{' ? ',' : ''}${JSON.stringify(key)}:`);
      top.next++;
      pending = { value: top.object[key] };
    } else {
      out.push('}');
      stack.pop();
    }
  }
}

/** JSON.stringify, or the recursion-free writer when the value nests deeper than the call stack goes. */
export function stringifyAnyDepth(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    if (err instanceof RangeError) return stringifyWithoutRecursion(value);
    throw err;
  }
}
