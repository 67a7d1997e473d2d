// Users, the caller's own account and tokens, and the permission catalogue.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { PERMISSIONS } from '../accounts/permissions.js';
import {
  changeOwnPassword,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  updateUser,
  type NewUser,
  type UserPatch,
} from '../accounts/users.js';
import { createToken, listTokens, revokeToken } from '../accounts/tokens.js';
import { listMemberships } from '../workspaces/members.js';
import { decodeCursor, encodeCursor, pagingQuery, type PagingQuery } from './paging.js';
import { access, caller, requirePasswordSignIn } from '../http/access.js';

const usernameParam = {
  type: 'object',
  required: ['username'],
  properties: { username: { type: 'string', maxLength: 63 } },
} as const;

export default async function userRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/me', { config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    const user = await getUser(app.db, p.username);
    const workspaces = await listMemberships(app.db, p.userId);
    return { ...user, permissions: [...p.permissions].sort(), workspaces };
  });

  app.put<{ Body: { current: string; new: string } }>(
    '/api/v1/me/password',
    {
      config: { access: access.signedIn },
      schema: {
        body: {
          type: 'object',
          required: ['current', 'new'],
          additionalProperties: false,
          properties: { current: { type: 'string', maxLength: 1024 }, new: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      const p = requirePasswordSignIn(request, 'changing your password');
      // Checking `current` is a password guess: limited per the signed-in user, whatever
      // name the Authorization header carried.
      request.checkSignInLimit(reply, p.username);
      await changeOwnPassword(app.db, p.userId, request.body.current, request.body.new, app.scryptCost).catch(
        (err: unknown) => {
          // A wrong current password is a failed sign-in: it counts toward the limits.
          if (err instanceof AppError && err.code === 'forbidden') request.recordFailedSignIn(p.username);
          throw err;
        },
      );
      return reply.code(204).send();
    },
  );

  app.get('/api/v1/me/tokens', { config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    return { items: await listTokens(app.db, p.userId) };
  });

  app.post<{ Body: { name: string; expiresAt?: string } }>(
    '/api/v1/me/tokens',
    {
      config: { access: access.signedIn },
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
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

  app.delete<{ Params: { id: string } }>(
    '/api/v1/me/tokens/:id',
    {
      config: { access: access.signedIn },
      schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,9}$' } } } },
    },
    async (request, reply) => {
      const p = requirePasswordSignIn(request, 'revoking a token');
      await revokeToken(app.db, p.userId, Number(request.params.id));
      return reply.code(204).send();
    },
  );

  app.get('/api/v1/permissions', { config: { access: access.signedIn } }, async () => {
    return { items: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })) };
  });

  app.get<{ Querystring: PagingQuery }>(
    '/api/v1/users',
    { config: { access: access.permission('users.manage') }, schema: { querystring: pagingQuery } },
    async (request) => {
      const page = await listUsers(app.db, request.query.limit ?? 50, decodeCursor(request.query.cursor));
      return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  app.post<{ Body: NewUser }>(
    '/api/v1/users',
    {
      config: { access: access.permission('users.manage') },
      schema: {
        body: {
          type: 'object',
          required: ['username', 'password', 'role'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 63 },
            password: { type: 'string', maxLength: 1024 },
            role: { type: 'string', minLength: 1, maxLength: 63 },
            displayName: { type: 'string', maxLength: 200 },
            email: { type: 'string', maxLength: 254, format: 'email' },
          },
        },
      },
    },
    async (request, reply) => {
      // A new account's password outlives the token that could otherwise set it.
      const p = requirePasswordSignIn(request, 'creating a user (which sets a password)');
      const user = await createUser(app.db, request.body, p.permissions, app.scryptCost);
      return reply.code(201).header('Location', `/api/v1/users/${user.username}`).send(user);
    },
  );

  app.get<{ Params: { username: string } }>(
    '/api/v1/users/:username',
    {
      config: { access: access.permission('users.manage', { orSelf: 'username' }) },
      schema: { params: usernameParam },
    },
    async (request) => {
      return getUser(app.db, request.params.username);
    },
  );

  app.patch<{ Params: { username: string }; Body: UserPatch }>(
    '/api/v1/users/:username',
    {
      config: { access: access.permission('users.manage') },
      schema: {
        params: usernameParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            role: { type: 'string', minLength: 1, maxLength: 63 },
            displayName: { type: 'string', maxLength: 200 },
            email: { type: 'string', maxLength: 254, format: 'email' },
            disabled: { type: 'boolean' },
            password: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (request) => {
      const p = caller(request);
      if (request.body.password !== undefined) requirePasswordSignIn(request, 'setting a password');
      return updateUser(app.db, request.params.username, request.body, p.permissions, app.scryptCost);
    },
  );

  app.delete<{ Params: { username: string } }>(
    '/api/v1/users/:username',
    { config: { access: access.permission('users.manage') }, schema: { params: usernameParam } },
    async (request, reply) => {
      const p = caller(request);
      await deleteUser(app.db, request.params.username, p.permissions);
      return reply.code(204).send();
    },
  );
}
