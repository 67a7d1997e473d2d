// Platform roles (roles.manage), under /api/v1/roles (the prefix src/app.ts gives): the
// built-in ones and custom roles.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Permission } from '../accounts/permissions.js';
import { createRole, deleteRole, getRole, listRoles, updateRole } from '../accounts/roles.js';
import { access, caller } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

// The contract's permissions are exactly the code's (one added to either alone fails here).
type ContractPermission = (typeof contract.createRole.body.properties.permissions.items.enum)[number];
const _samePermissions: [ContractPermission, Permission] extends [Permission, ContractPermission] ? true : false = true;

const roleRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get('', { schema: contract.listRoles, config: { access: access.signedIn } }, async () => {
    return { items: await listRoles(app.db) };
  });

  app.post(
    '',
    { schema: contract.createRole, config: { access: access.permission('roles.manage') } },
    async (request, reply) => {
      const p = caller(request);
      const role = await createRole(app.db, request.body, p.permissions);
      return reply.code(201).header('Location', `/api/v1/roles/${role.name}`).send(role);
    },
  );

  app.get('/:role', { schema: contract.getRole, config: { access: access.signedIn } }, async (request) => {
    return getRole(app.db, request.params.role);
  });

  app.patch(
    '/:role',
    { schema: contract.updateRole, config: { access: access.permission('roles.manage') } },
    async (request) => {
      const p = caller(request);
      return updateRole(app.db, request.params.role, request.body, p.permissions);
    },
  );

  app.delete(
    '/:role',
    { schema: contract.deleteRole, config: { access: access.permission('roles.manage') } },
    async (request, reply) => {
      const p = caller(request);
      await deleteRole(app.db, request.params.role, p.permissions);
      return reply.code(204).send();
    },
  );
};

export default roleRoutes;
