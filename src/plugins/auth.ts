// Resolves the caller on every request. Wrong credentials answer 401 at once, on
// every route; missing credentials leave request.principal null for routes to judge.
// Failed sign-ins are rate-limited (src/auth/rate-limit.ts).
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { authenticate, parseAuthorization, type Principal } from '../auth/principal.js';
import { SignInLimiter, type SignInLimits } from '../auth/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Counts a failed password check made by a route (e.g. a wrong current password). */
    recordFailedSignIn(username: string): void;
  }
  interface FastifyContextConfig {
    /** Anyone may call the route; every other route needs a signed-in user. */
    public?: boolean;
  }
}

export function requireUser(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'sign in with HTTP Basic (username and password or token) or a Bearer token');
  return request.principal;
}

export interface AuthOptions {
  signInLimits?: SignInLimits;
}

export default fp<AuthOptions>(
  async (app, opts) => {
    const limiter = new SignInLimiter(opts.signInLimits);
    app.decorateRequest('principal', null);
    app.decorateRequest('recordFailedSignIn', function (this: FastifyRequest, username: string) {
      limiter.recordFailure(username, this.ip);
    });
    app.addHook('onRequest', async (request, reply) => {
      const creds = parseAuthorization(request.headers.authorization);
      if (!creds) {
        // Secure by default: a route is closed to anonymous callers unless it says it is
        // public, and they hear 401 before anything about their input. (Unmatched URLs
        // fall through to the 404 handler.)
        if (request.routeOptions.url !== undefined && !request.routeOptions.config.public) requireUser(request);
        return;
      }
      const wait = limiter.blockedFor(creds.username, request.ip);
      if (wait > 0) {
        reply.header('Retry-After', String(wait));
        throw new AppError('rate-limited', `too many failed sign-ins; try again in ${wait} seconds`);
      }
      // Memoised until the next write on the embedded engine (see Database.cached);
      // the key is a digest, so no secret is kept in memory as a map key.
      const key = `auth:${createHash('sha256').update(`${creds.scheme}\0${creds.username ?? ''}\0${creds.secret}`).digest('hex')}`;
      let principal = await app.db.cached(key, () => authenticate(app.db, creds));
      if (principal?.expiresAt && principal.expiresAt.getTime() <= Date.now()) principal = null;
      if (!principal) {
        limiter.recordFailure(creds.username, request.ip);
        const who = creds.username ? `user ${JSON.stringify(creds.username)}` : 'the token';
        // Log which account failed, never the secret; a digest lets repeats be correlated.
        request.log.info({ user: creds.username, credential: createHash('sha256').update(creds.secret).digest('hex').slice(0, 8) }, 'sign-in failed');
        throw new AppError('unauthorized', `the credentials for ${who} are not valid`);
      }
      request.principal = principal;
    });
  },
  { name: 'chartroom-auth', dependencies: ['chartroom-storage'] },
);
