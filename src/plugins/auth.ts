// Resolves the caller on every request. Wrong credentials answer 401 at once, on
// every route; missing credentials leave request.principal null for routes to judge.
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { authenticate, parseAuthorization, type Principal } from '../auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function requireUser(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'sign in with HTTP Basic (username and password or token) or a Bearer token');
  return request.principal;
}

export default fp(
  async (app) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const creds = parseAuthorization(request.headers.authorization);
      if (!creds) return;
      const principal = await authenticate(app.db, creds);
      if (!principal) {
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
