// Resolves the caller on every request. Wrong credentials answer 401 at once, on
// every route; missing credentials leave request.principal null for routes to judge.
// Failed sign-ins are rate-limited for the whole deployment (src/accounts/rate-limit.ts):
// the limits are read with the user, before any secret is checked.
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { allowsAnonymous, caller } from '../http/access.js';
import {
  checkCredentials,
  findCredentials,
  parseAuthorization,
  type Credentials,
  type Principal,
} from '../accounts/principal.js';
import { findSession, sessionCookie, sessionId, sessionPrincipal } from '../accounts/sessions.js';
import { requireSameOrigin, SAFE_METHODS } from '../http/same-origin.js';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from '../accounts/passwords.js';
import { SignInLimiter, type SignInLimits } from '../accounts/rate-limit.js';
import { CheckFlights } from '../accounts/check-flights.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The scrypt cost new password hashes are made with (OWASP's minimum outside tests). */
    scryptCost: ScryptCost;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Refuses (429) a password check for `username` while its sign-in limits hold. */
    checkSignInLimit(reply: FastifyReply, username: string): Promise<void>;
    /** Counts a failed password check made by a route (e.g. a wrong current password). */
    recordFailedSignIn(username: string): Promise<void>;
    /** Checks a username and password under the sign-in limits, exactly as HTTP Basic is
     * checked (a failure counts; a token is not a password here). 401 / 429 on refusal. */
    signInWithPassword(reply: FastifyReply, username: string, password: string): Promise<Principal>;
    /** The console session secret the request came with, when it was signed in by one. */
    sessionSecret: string | null;
  }
}

export interface AuthOptions {
  signInLimits?: SignInLimits;
  /** What sign-in limits count time by (tests move it); Date.now by default. */
  signInClock?: () => number;
  scryptCost?: ScryptCost;
}

export default fp<AuthOptions>(
  async (app, opts) => {
    const limiter = new SignInLimiter(app.db, opts.signInLimits, { clock: opts.signInClock });
    const flights = new CheckFlights<Principal | null>();
    const cost = opts.scryptCost ?? DEFAULT_SCRYPT_COST;
    app.decorate('scryptCost', cost);

    const refuseFor = (reply: FastifyReply, wait: number): void => {
      if (wait > 0) {
        reply.header('Retry-After', String(wait));
        throw new AppError('rate-limited', `too many failed sign-ins; try again in ${wait} seconds`);
      }
    };
    app.decorateRequest('principal', null);
    app.decorateRequest(
      'checkSignInLimit',
      async function (this: FastifyRequest, reply: FastifyReply, username: string) {
        refuseFor(reply, await limiter.blockedFor(username, this.ip));
      },
    );
    app.decorateRequest('recordFailedSignIn', async function (this: FastifyRequest, username: string) {
      await limiter.recordFailure(username, this.ip);
    });
    app.decorateRequest('sessionSecret', null);

    /** The principal for credentials, or 401 / 429; one read of the user and the limits. */
    const authenticate = async (request: FastifyRequest, reply: FastifyReply, creds: Credentials) => {
      // One read gives the user (or token) and the attempt's limits. Memoised until the
      // credential tables change (Database.cachedCredentials; on Postgres, a change made
      // through another replica arrives as a notification): every failure recorded is
      // such a change, so a memoised limit is not kept past it, and the time it lifts is
      // compared with the clock here. The limits depend on the address, so it is part of the key;
      // the key is a digest, so no secret is kept in memory as a map key.
      const key = `auth:${createHash('sha256')
        .update(`${creds.scheme}\0${creds.username ?? ''}\0${creds.secret}\0${request.ip}`)
        .digest('hex')}`;
      // The limit keys (three digests) are memoised with the read: every request needs them.
      const { stored, limitKeys } = await app.db.cachedCredentials(key, async () => {
        const keys = limiter.keys(creds.username, request.ip);
        return { stored: await findCredentials(app.db, creds, keys), limitKeys: keys };
      });
      // Refused before the secret is checked: the right password waits too (a limit that
      // let it through would tell a guesser when they are right), and scrypt is not paid.
      refuseFor(reply, limiter.secondsUntil(stored.blockedUntil));
      const check = async () => {
        let principal = await checkCredentials(app.db, creds, stored, cost);
        if (principal?.expiresAt && principal.expiresAt.getTime() <= Date.now()) principal = null;
        if (!principal) await limiter.recordFailure(creds.username, request.ip);
        return principal;
      };
      // A token is looked up, not hashed, and cannot be guessed: only password checks
      // (scrypt) are held to a few at once per limit key (src/accounts/check-flights.ts).
      const password = stored.token === null && creds.scheme === 'basic';
      const checking = password ? flights.run(key, limitKeys, check) : { result: check(), joined: false };
      if (!checking) {
        reply.header('Retry-After', '1');
        throw new AppError(
          'rate-limited',
          'too many sign-ins are being checked at once for this user or address; try again in 1 second',
        );
      }
      const principal = await checking.result;
      // Each request counts its own failure: one that joined a check under way counts too.
      if (!principal && checking.joined) await limiter.recordFailure(creds.username, request.ip);
      if (!principal) {
        const who = creds.username ? `user ${JSON.stringify(creds.username)}` : 'the token';
        // Which account failed and how, never the secret nor anything computed from it:
        // even a short unsalted digest lets a leaked log be checked against guesses.
        request.log.info({ user: creds.username, scheme: creds.scheme }, 'sign-in failed');
        throw new AppError('unauthorized', `the credentials for ${who} are not valid`);
      }
      return principal;
    };

    app.decorateRequest(
      'signInWithPassword',
      async function (this: FastifyRequest, reply: FastifyReply, username: string, password: string) {
        const principal = await authenticate(this, reply, { scheme: 'basic', username, secret: password });
        if (principal.via !== 'password') {
          throw new AppError('unauthorized', 'sign in with your password; a token cannot open a console session');
        }
        return principal;
      },
    );

    // An answer made for a signed-in caller is theirs alone: no shared cache may keep it.
    // (RFC 9111 keeps shared caches off answers to requests with Authorization, not to
    // ones signed in by a cookie, and lets them store a 200 without a lifetime on a guess.)
    // Routes that say how their answer may be cached (indexes, packages, icons) keep theirs.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.principal && !reply.hasHeader('cache-control')) reply.header('Cache-Control', 'private, no-store');
      done(null, payload);
    });

    app.addHook('onRequest', async (request, reply) => {
      const creds = parseAuthorization(request.headers.authorization);
      if (!creds) {
        const secret = sessionCookie(request.headers.cookie);
        const id = secret ? sessionId(secret) : null;
        if (secret && id) {
          const row = await app.db.cached(`session:${id}`, () => findSession(app.db, id));
          const principal = await sessionPrincipal(app.db, id, row, app.config.sessions);
          if (principal) {
            // A cookie is sent by the browser whoever asks it to: a write made with one
            // must come from the console itself (SameSite=Lax stops most of the rest).
            if (!SAFE_METHODS.has(request.method)) requireSameOrigin(request, app.config.publicUrl);
            request.principal = principal;
            request.sessionSecret = secret;
            return;
          }
        }
        // Secure by default: a route is closed to anonymous callers unless it says it is
        // public, and they hear 401 before anything about their input. (Unmatched URLs
        // fall through to the 404 handler.)
        if (
          request.routeOptions.url !== undefined &&
          !allowsAnonymous(request.routeOptions.config.access, app.config.storePublic)
        ) {
          caller(request);
        }
        return;
      }
      request.principal = await authenticate(request, reply, creds);
    });
  },
  { name: 'chartroom-auth', dependencies: ['chartroom-storage'] },
);
