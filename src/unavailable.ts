// Outages of what Chartroom depends on (Postgres, the S3 server) are not server faults:
// a request that meets one answers 503 with Retry-After and names the dependency, and
// the process carries on. The database and blob store wrap their calls with
// `whenUnreachable`, so every route gets this without knowing about it.
import { AppError } from './errors.js';

/** Seconds a client is asked to wait (Retry-After) before trying again. */
export const RETRY_AFTER_SECONDS = 5;

// Socket-level failures: the server is down, restarting, or unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Postgres: class 08 (connection exception), and a server shutting down or starting up.
const PG_UNAVAILABLE = /^(08...|57P01|57P02|57P03|53300)$/;

// node-postgres reports lost connections and pool timeouts only in its messages.
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|the database system is (starting up|shutting down)/i;

// S3 answers that mean "not now".
const S3_CODES = new Set(['ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'XMinioServerNotInitialized']);

/** True when the error says a dependency could not be reached, rather than refusing the request. */
export function isUnreachable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (
    typeof e.code === 'string' &&
    (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code) || S3_CODES.has(e.code))
  ) {
    return true;
  }
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  // AggregateError (a connection tried on several addresses) and wrapped causes.
  if (Array.isArray(e.errors) && e.errors.some(isUnreachable)) return true;
  return e.cause !== undefined && e.cause !== err && isUnreachable(e.cause);
}

/** Runs fn; an outage of `what` becomes a 503 naming it. Other errors pass unchanged. */
export async function whenUnreachable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUnreachable(err)) {
      const reason = err instanceof Error && err.message ? ` (${err.message.split('\n')[0]})` : '';
      throw new AppError('unavailable', `${what} is unreachable${reason}; try again shortly`, {
        retryAfter: RETRY_AFTER_SECONDS,
      });
    }
    throw err;
  }
}
