// Workspaces and their members under /api/v1.
import type { FastifyInstance } from 'fastify';
import { WORKSPACE_ROLES } from '../accounts/permissions.js';
import {
  createWorkspace,
  deleteWorkspace,
  listWorkspaces,
  setDisplayName,
  type Workspace,
} from '../workspaces/workspaces.js';
import { listMembers, removeMember, setMember } from '../workspaces/members.js';
import { access, caller, workspaceScope } from '../http/access.js';

function workspaceJson(w: Workspace) {
  return { name: w.name, displayName: w.displayName, createdAt: w.createdAt.toISOString() };
}

const wsParam = { type: 'object', required: ['ws'], properties: { ws: { type: 'string', maxLength: 63 } } } as const;
const memberParam = {
  type: 'object',
  required: ['ws', 'username'],
  properties: { ws: { type: 'string', maxLength: 63 }, username: { type: 'string', maxLength: 63 } },
} as const;

export default async function workspaceRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/workspaces', { config: { access: access.signedIn } }, async (request) => {
    const p = caller(request);
    const all = p.permissions.has('workspaces.manage') || p.permissions.has('app-templates.view');
    const items = await listWorkspaces(app.db, { userId: p.userId, all });
    return { items: items.map(workspaceJson) };
  });

  app.post<{ Body: { name: string; displayName?: string } }>(
    '/api/v1/workspaces',
    {
      config: { access: access.permission('workspaces.manage') },
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 63 },
            displayName: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
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

  app.get<{ Params: { ws: string } }>(
    '/api/v1/workspaces/:ws',
    { config: { access: access.workspace('workspace-viewer') }, schema: { params: wsParam } },
    async (request) => {
      const { workspace, role } = workspaceScope(request);
      return { ...workspaceJson(workspace), yourRole: role };
    },
  );

  app.patch<{ Params: { ws: string }; Body: { displayName: string } }>(
    '/api/v1/workspaces/:ws',
    {
      config: { access: access.workspace('workspace-viewer', { andPermission: 'workspaces.manage' }) },
      schema: {
        params: wsParam,
        body: {
          type: 'object',
          required: ['displayName'],
          additionalProperties: false,
          properties: { displayName: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request) => {
      const { workspace } = workspaceScope(request);
      return workspaceJson(await setDisplayName(app.db, workspace.id, request.body.displayName));
    },
  );

  app.delete<{ Params: { ws: string } }>(
    '/api/v1/workspaces/:ws',
    {
      config: { access: access.workspace('workspace-viewer', { andPermission: 'workspaces.manage' }) },
      schema: { params: wsParam },
    },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      await deleteWorkspace(app.db, workspace.id, workspace.name);
      app.indexCache.forget(`workspace:${workspace.id}`);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { ws: string } }>(
    '/api/v1/workspaces/:ws/members',
    { config: { access: access.workspace('workspace-viewer') }, schema: { params: wsParam } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      return { items: await listMembers(app.db, workspace.id) };
    },
  );

  app.put<{ Params: { ws: string; username: string }; Body: { role: string } }>(
    '/api/v1/workspaces/:ws/members/:username',
    {
      config: { access: access.workspace('workspace-admin') },
      schema: {
        params: memberParam,
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role: { type: 'string', enum: [...WORKSPACE_ROLES] } },
        },
      },
    },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      const { member, created } = await setMember(app.db, workspace.id, request.params.username, request.body.role);
      return reply.code(created ? 201 : 200).send(member);
    },
  );

  app.delete<{ Params: { ws: string; username: string } }>(
    '/api/v1/workspaces/:ws/members/:username',
    { config: { access: access.workspace('workspace-admin') }, schema: { params: memberParam } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      await removeMember(app.db, workspace.id, request.params.username);
      return reply.code(204).send();
    },
  );
}
