import type { SightlineError } from '../core/errors.js';

/**
 * The SQLSTATE a client sees for a Sightline error: what Postgres itself would say, so drivers and
 * BI tools react as they do to Postgres (a retry on 53300, a cancel on 57014, a syntax error shown
 * with its position).
 */
export function sqlState(error: SightlineError): string {
  switch (error.code) {
    case 'SL_SQL_INVALID':
      if (/^Parser Error|syntax error/i.test(error.message)) return '42601';
      if (/^Catalog Error: Table|no table or view named|does not exist/i.test(error.message)) return '42P01';
      if (/Referenced column|column .* not found/i.test(error.message)) return '42703';
      if (/^Conversion Error|^Invalid Input Error/i.test(error.message)) return '22P02';
      if (/current transaction is aborted/.test(error.message)) return '25P02';
      return '42000';
    case 'SL_SQL_NOT_ALLOWED':
      return /only SELECT/.test(error.message) ? '25006' : '42501';
    case 'SL_AUTH_FORBIDDEN':
      return '42501';
    case 'SL_SQL_PARAMS_INVALID':
      return '22023';
    case 'SL_SQL_TIMEOUT':
    case 'SL_SQL_CANCELLED':
      return '57014';
    case 'SL_SQL_MEMORY_LIMIT':
      return '53200';
    case 'SL_SQL_TOO_MANY_ROWS':
    case 'SL_SQL_TOO_MANY_FILES':
      return '54000';
    case 'SL_SQL_BUSY':
      return '53300';
    case 'SL_SQL_TOO_MANY_CONCURRENT':
      return '53400';
    case 'SL_AUTH_MISSING':
    case 'SL_AUTH_INVALID':
    case 'SL_AUTH_EXPIRED':
    case 'SL_AUTH_REVOKED':
      return '28P01';
    default:
      return error.retryable ? '58000' : 'XX000';
  }
}
