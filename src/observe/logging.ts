import { type Logger, pino } from 'pino';
import { activeTraceFields } from './tracing.js';

/**
 * JSON logs on stdout. Every line written while a request or batch span is active carries its
 * `trace_id` and `span_id`, so logs and traces join.
 */
export function createLogger(level: string): Logger {
  return pino({ level, mixin: activeTraceFields });
}

/** A component's logger, at its own level when `logLevels` names one. */
export function componentLogger(root: Logger, component: string, levels: Record<string, string>): Logger {
  const level = levels[component];
  return root.child({ component }, level ? { level } : undefined);
}
