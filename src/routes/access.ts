// Workspace access for routes: outsiders get the same 404 as for a workspace that
// does not exist, so nothing of a workspace leaks, not even that it exists.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { requireUser } from '../plugins/auth.js';
import { effectiveWorkspaceRole } from '../auth/principal.js';
import { workspaceRoleAtLeast, type WorkspaceRole } from '../auth/permissions.js';
import { findWorkspaceForUser, type Workspace } from '../apps/workspaces.js';

export interface WorkspaceAccess {
  workspace: Workspace;
  role: WorkspaceRole;
}

export async function workspaceAccess(
  app: FastifyInstance,
  request: FastifyRequest,
  name: string,
  needed: WorkspaceRole,
): Promise<WorkspaceAccess> {
  const principal = requireUser(request);
  const found = await app.db.cached(`workspace:${name}:${principal.userId}`, () => findWorkspaceForUser(app.db, name, principal.userId));
  const workspace = found?.workspace ?? null;
  const role = found ? effectiveWorkspaceRole(principal, found.memberRole) : null;
  if (!workspace || !role) throw new AppError('not-found', `workspace ${JSON.stringify(name)} not found`);
  if (!workspaceRoleAtLeast(role, needed)) {
    throw new AppError('forbidden', `this needs the ${needed} role in workspace ${JSON.stringify(name)}; you are ${role}`);
  }
  return { workspace, role };
}
