import type { Tracing } from '../../observe/tracing.js';
import type { Component } from '../component.js';

/** The tracer outlives everything else, so the spans of the whole shutdown are exported. */
export function tracingComponent(tracing: Tracing): Component {
  return {
    name: 'tracing',
    start: async () => undefined,
    stop: () => tracing.shutdown(),
  };
}
