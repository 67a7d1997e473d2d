// The REST API under /api/v1 (this part: who am I, and workspaces).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { requireUser } from '../plugins/auth.js';
import { createWorkspace, listWorkspaces, type Workspace } from '../apps/workspaces.js';
import { workspaceAccess } from './access.js';

function workspaceJson(w: Workspace) {
  return { name: w.name, displayName: w.displayName, createdAt: w.createdAt.toISOString() };
}

export default async function apiV1Routes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/me', async (request) => {
    const p = requireUser(request);
    const workspaces = await listWorkspaces(app.db, { userId: p.userId, all: false });
    return {
      username: p.username,
      role: p.role,
      permissions: [...p.permissions].sort(),
      workspaces: workspaces.map((w) => w.name),
    };
  });

  app.get('/api/v1/workspaces', async (request) => {
    const p = requireUser(request);
    const all = p.permissions.has('workspaces.manage') || p.permissions.has('app-templates.view');
    const items = await listWorkspaces(app.db, { userId: p.userId, all });
    return { items: items.map(workspaceJson) };
  });

  app.post<{ Body: { name: string; displayName?: string } }>(
    '/api/v1/workspaces',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 63 }, displayName: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const p = requireUser(request);
      if (!p.permissions.has('workspaces.manage')) throw new AppError('forbidden', 'creating workspaces needs the workspaces.manage permission');
      const w = await createWorkspace(app.db, { name: request.body.name, displayName: request.body.displayName, createdBy: p.userId });
      return reply.code(201).header('Location', `/api/v1/workspaces/${w.name}`).send(workspaceJson(w));
    },
  );

  app.get<{ Params: { ws: string } }>('/api/v1/workspaces/:ws', async (request) => {
    const { workspace, role } = await workspaceAccess(app, request, request.params.ws, 'workspace-viewer');
    return { ...workspaceJson(workspace), yourRole: role };
  });
}
