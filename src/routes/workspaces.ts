// Workspaces and their members, under /api/v1/workspaces (the prefix src/app.ts gives).
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { createWorkspace, listWorkspaces, setDisplayName, type Workspace } from '../workspaces/workspaces.js';
import { deleteWorkspace } from '../versions/containers.js';
import { listMembers, removeMember, setMember } from '../workspaces/members.js';
import { access, caller, workspaceScope } from '../http/access.js';
import * as contract from '../http/contract.generated.js';
import { decodeCursor, encodeCursor } from './paging.js';
import type { WorkspaceRole } from '../accounts/permissions.js';

// The contract's member roles are exactly the code's (one added to either alone fails here).
type ContractRole = (typeof contract.setWorkspaceMember.body.properties.role.enum)[number];
const _sameRoles: [ContractRole, WorkspaceRole] extends [WorkspaceRole, ContractRole] ? true : false = true;

function workspaceJson(w: Workspace) {
  return { name: w.name, displayName: w.displayName, createdAt: w.createdAt.toISOString() };
}

const workspaceRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get('', { schema: contract.listWorkspaces, config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    const all = p.permissions.has('workspaces.manage') || p.permissions.has('app-templates.view');
    const { limit, cursor } = request.query;
    const page = await listWorkspaces(app.db, { userId: p.userId, all }, limit, decodeCursor(cursor));
    return { items: page.items.map(workspaceJson), nextCursor: page.next === null ? null : encodeCursor(page.next) };
  });

  app.post(
    '',
    { schema: contract.createWorkspace, config: { access: access.permission('workspaces.manage') } },
    async (request, reply) => {
      const p = caller(request);
      const w = await createWorkspace(app.db, {
        name: request.body.name,
        displayName: request.body.displayName,
        createdBy: p.userId,
      });
      return reply.code(201).header('Location', `/api/v1/workspaces/${w.name}`).send(workspaceJson(w));
    },
  );

  app.get(
    '/:ws',
    { schema: contract.getWorkspace, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace, role } = workspaceScope(request);
      return { ...workspaceJson(workspace), yourRole: role };
    },
  );

  app.patch(
    '/:ws',
    {
      schema: contract.updateWorkspace,
      config: { access: access.workspace('workspace-viewer', { andPermission: 'workspaces.manage' }) },
    },
    async (request) => {
      const { workspace } = workspaceScope(request);
      return workspaceJson(await setDisplayName(app.db, workspace.id, request.body.displayName));
    },
  );

  app.delete(
    '/:ws',
    {
      schema: contract.deleteWorkspace,
      config: { access: access.workspace('workspace-viewer', { andPermission: 'workspaces.manage' }) },
    },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      await deleteWorkspace(app.db, workspace.id, workspace.name);
      app.indexes.forget({ workspaceId: workspace.id });
      return reply.code(204).send();
    },
  );

  app.get(
    '/:ws/members',
    { schema: contract.listWorkspaceMembers, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const { limit, cursor } = request.query;
      const page = await listMembers(app.db, workspace.id, limit, decodeCursor(cursor));
      return { items: page.items, nextCursor: page.next === null ? null : encodeCursor(page.next) };
    },
  );

  app.put(
    '/:ws/members/:username',
    { schema: contract.setWorkspaceMember, config: { access: access.workspace('workspace-admin') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      const { member, created } = await setMember(app.db, workspace.id, request.params.username, request.body.role);
      return reply.code(created ? 201 : 200).send(member);
    },
  );

  app.delete(
    '/:ws/members/:username',
    { schema: contract.removeWorkspaceMember, config: { access: access.workspace('workspace-admin') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      await removeMember(app.db, workspace.id, request.params.username);
      return reply.code(204).send();
    },
  );
};

export default workspaceRoutes;
