import { type Logger, pino } from 'pino';
import { activeTraceFields } from './tracing.js';

/**
 * JSON logs on stderr, so stdout carries only what the CLI says to a person (the start-up line,
 * command output) and `sightline up 2>app.log` keeps them apart. Every line written while a request
 * or batch span is active carries its `trace_id` and `span_id`, so logs and traces join.
 */
export function createLogger(level: string): Logger {
  return pino({ level, mixin: activeTraceFields }, pino.destination(2));
}

/** A component's logger, at its own level when `logLevels` names one. */
export function componentLogger(root: Logger, component: string, levels: Record<string, string>): Logger {
  const level = levels[component];
  return root.child({ component }, level ? { level } : undefined);
}
