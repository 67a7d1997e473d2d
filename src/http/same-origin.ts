// CSRF protection for the web console's cookie: the browser sends a cookie with any
// request a page asks for, so writes made with one must come from the console's origin.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses (403) a request whose Origin is another site's: the browser names the page that
 * made it. Accepted: the public URL's origin, or the origin the request was addressed to.
 * Without an Origin header, the browser's Sec-Fetch-Site must say same-origin.
 */
export function requireSameOrigin(request: FastifyRequest, publicUrl: string | null): void {
  const origin = request.headers.origin;
  const own = [`${request.protocol}://${request.host}`];
  if (publicUrl) own.push(new URL(publicUrl).origin);
  if (origin !== undefined ? own.includes(origin) : request.headers['sec-fetch-site'] === 'same-origin') return;
  throw new AppError(
    'forbidden',
    `a write made with a console session must come from the console's own page, not from ${origin ?? 'an unknown origin'}`,
  );
}
