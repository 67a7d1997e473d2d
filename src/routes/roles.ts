// Platform roles (roles.manage): the built-in ones and custom roles.
import type { FastifyInstance } from 'fastify';
import { PERMISSIONS } from '../accounts/permissions.js';
import { createRole, deleteRole, getRole, listRoles, updateRole } from '../accounts/roles.js';
import { access, caller } from '../http/access.js';

const permissionList = {
  type: 'array',
  maxItems: 20,
  items: { type: 'string', enum: Object.keys(PERMISSIONS) },
} as const;
const roleParam = {
  type: 'object',
  required: ['role'],
  properties: { role: { type: 'string', maxLength: 63 } },
} as const;

export default async function roleRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/roles', { config: { access: access.signedIn } }, async () => {
    return { items: await listRoles(app.db) };
  });

  app.post<{ Body: { name: string; permissions: string[]; description?: string } }>(
    '/api/v1/roles',
    {
      config: { access: access.permission('roles.manage') },
      schema: {
        body: {
          type: 'object',
          required: ['name', 'permissions'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 63 },
            permissions: permissionList,
            description: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (request, reply) => {
      const p = caller(request);
      const role = await createRole(app.db, request.body, p.permissions);
      return reply.code(201).header('Location', `/api/v1/roles/${role.name}`).send(role);
    },
  );

  app.get<{ Params: { role: string } }>(
    '/api/v1/roles/:role',
    { config: { access: access.signedIn }, schema: { params: roleParam } },
    async (request) => {
      return getRole(app.db, request.params.role);
    },
  );

  app.patch<{ Params: { role: string }; Body: { permissions?: string[]; description?: string } }>(
    '/api/v1/roles/:role',
    {
      config: { access: access.permission('roles.manage') },
      schema: {
        params: roleParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { permissions: permissionList, description: { type: 'string', maxLength: 500 } },
        },
      },
    },
    async (request) => {
      const p = caller(request);
      return updateRole(app.db, request.params.role, request.body, p.permissions);
    },
  );

  app.delete<{ Params: { role: string } }>(
    '/api/v1/roles/:role',
    { config: { access: access.permission('roles.manage') }, schema: { params: roleParam } },
    async (request, reply) => {
      const p = caller(request);
      await deleteRole(app.db, request.params.role, p.permissions);
      return reply.code(204).send();
    },
  );
}
