// Users, the caller's own account and tokens, and the permission catalogue, under /api/v1
// (the prefix src/app.ts gives).
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { PERMISSIONS } from '../accounts/permissions.js';
import { changeOwnPassword, createUser, deleteUser, getUser, listUsers, updateUser } from '../accounts/users.js';
import { createToken, listTokens, revokeToken } from '../accounts/tokens.js';
import { listMemberships } from '../workspaces/members.js';
import { decodeCursor, encodeCursor } from './paging.js';
import { access, caller, requirePasswordSignIn } from '../http/access.js';
import { createSession, endSession, SESSION_COOKIE, sessionCookie } from '../accounts/sessions.js';
import type { FastifyRequest } from 'fastify';
import { requireSameOrigin } from '../http/same-origin.js';
import * as contract from '../http/contract.generated.js';

const userRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  /** The session cookie's attributes: Secure whenever the console is reached over https. */
  const cookie = (request: FastifyRequest, value: string, maxAgeSeconds: number): string => {
    const secure = request.protocol === 'https' || app.config.publicUrl?.startsWith('https:') === true;
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  };

  app.post('/session', { schema: contract.signIn, config: { access: access.public } }, async (request, reply) => {
    // A sign-in forced on the browser by another site would sign the victim in as the
    // attacker: refused like any cross-origin write.
    if (request.headers.origin !== undefined) requireSameOrigin(request, app.config.publicUrl);
    const principal = await request.signInWithPassword(reply, request.body.username, request.body.password);
    const session = await createSession(app.db, principal.userId, app.config.sessions);
    reply.header('Set-Cookie', cookie(request, session.secret, Math.floor(app.config.sessions.maxAgeMs / 1000)));
    reply.header('Cache-Control', 'no-store');
    return reply.code(201).send({ username: principal.username, expiresAt: session.expiresAt.toISOString() });
  });

  app.delete('/session', { schema: contract.signOut, config: { access: access.public } }, async (request, reply) => {
    const secret = request.sessionSecret ?? sessionCookie(request.headers.cookie);
    if (secret) await endSession(app.db, secret);
    reply.header('Set-Cookie', cookie(request, '', 0));
    return reply.code(204).send();
  });

  app.get('/me', { schema: contract.getMe, config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    const user = await getUser(app.db, p.username);
    const workspaces = await listMemberships(app.db, p.userId);
    return { ...user, permissions: [...p.permissions].sort(), workspaces };
  });

  app.put(
    '/me/password',
    { schema: contract.changeMyPassword, config: { access: access.signedIn } },
    async (request, reply) => {
      const p = requirePasswordSignIn(request, 'changing your password');
      // Checking `current` is a password guess: limited per the signed-in user, whatever
      // name the Authorization header carried.
      await request.checkSignInLimit(reply, p.username);
      await changeOwnPassword(
        app.db,
        p.userId,
        request.body.current,
        request.body.new,
        app.scryptCost,
        request.sessionSecret,
      ).catch(async (err: unknown) => {
        // A wrong current password is a failed sign-in: it counts toward the limits.
        if (err instanceof AppError && err.code === 'forbidden') await request.recordFailedSignIn(p.username);
        throw err;
      });
      return reply.code(204).send();
    },
  );

  app.get('/me/tokens', { schema: contract.listMyTokens, config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    return { items: await listTokens(app.db, p.userId) };
  });

  app.post(
    '/me/tokens',
    { schema: contract.createMyToken, config: { access: access.signedIn } },
    async (request, reply) => {
      const p = requirePasswordSignIn(request, 'creating a token');
      const expires = request.body.expiresAt ? new Date(request.body.expiresAt) : null;
      // RFC 3339 (and so the date-time format) allows a leap second, 23:59:60; Date cannot hold it.
      if (expires && Number.isNaN(expires.getTime())) {
        throw new AppError(
          'validation-failed',
          `expiresAt ${JSON.stringify(request.body.expiresAt)} is not a time Chartroom can store (a leap second, 23:59:60, is not accepted)`,
        );
      }
      return reply.code(201).send(await createToken(app.db, p.userId, request.body.name, expires));
    },
  );

  app.delete(
    '/me/tokens/:id',
    { schema: contract.revokeMyToken, config: { access: access.signedIn } },
    async (request, reply) => {
      const p = requirePasswordSignIn(request, 'revoking a token');
      await revokeToken(app.db, p.userId, Number(request.params.id));
      return reply.code(204).send();
    },
  );

  app.get('/permissions', { schema: contract.listPermissions, config: { access: access.signedIn } }, async () => {
    return { items: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })) };
  });

  app.get(
    '/users',
    { schema: contract.listUsers, config: { access: access.permission('users.manage') } },
    async (request) => {
      const page = await listUsers(app.db, request.query.limit, decodeCursor(request.query.cursor));
      return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  app.post(
    '/users',
    { schema: contract.createUser, config: { access: access.permission('users.manage') } },
    async (request, reply) => {
      // A new account's password outlives the token that could otherwise set it.
      const p = requirePasswordSignIn(request, 'creating a user (which sets a password)');
      const user = await createUser(app.db, request.body, p.permissions, app.scryptCost);
      return reply.code(201).header('Location', `/api/v1/users/${user.username}`).send(user);
    },
  );

  app.get(
    '/users/:username',
    { schema: contract.getUser, config: { access: access.permission('users.manage', { orSelf: 'username' }) } },
    async (request) => {
      return getUser(app.db, request.params.username);
    },
  );

  app.patch(
    '/users/:username',
    { schema: contract.updateUser, config: { access: access.permission('users.manage') } },
    async (request) => {
      const p = caller(request);
      if (request.body.password !== undefined) requirePasswordSignIn(request, 'setting a password');
      return updateUser(app.db, request.params.username, request.body, p.permissions, app.scryptCost);
    },
  );

  app.delete(
    '/users/:username',
    { schema: contract.deleteUser, config: { access: access.permission('users.manage') } },
    async (request, reply) => {
      const p = caller(request);
      await deleteUser(app.db, request.params.username, p.permissions);
      return reply.code(204).send();
    },
  );
};

export default userRoutes;
