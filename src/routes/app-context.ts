// Resolving /api/v1/workspaces/<ws>/apps/<app>[/versions/<version>] for a caller.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getApp, type AppRecord } from '../apps/apps.js';
import { getVersionDetail, type VersionDetail } from '../apps/version-detail.js';
import type { Actor } from '../lifecycle/state-machine.js';
import type { WorkspaceRole } from '../auth/permissions.js';
import { workspaceAccess, type WorkspaceAccess } from './access.js';
import { actorsFor } from './presenters.js';

export interface AppContext extends WorkspaceAccess {
  app: AppRecord;
  actors: Set<Actor>;
}

export async function appContext(
  server: FastifyInstance, request: FastifyRequest, ws: string, appName: string, needed: WorkspaceRole = 'workspace-viewer',
): Promise<AppContext> {
  const access = await workspaceAccess(server, request, ws, needed);
  const app = await getApp(server.db, access.workspace.id, appName);
  return { ...access, app, actors: actorsFor(request.principal, access.role) };
}

export async function versionContext(
  server: FastifyInstance, request: FastifyRequest, ws: string, appName: string, version: string, needed: WorkspaceRole = 'workspace-viewer',
): Promise<AppContext & { version: VersionDetail }> {
  const ctx = await appContext(server, request, ws, appName, needed);
  return { ...ctx, version: await getVersionDetail(server.db, ctx.app.id, appName, version) };
}

export const appParams = {
  type: 'object', required: ['ws', 'app'],
  properties: { ws: { type: 'string', maxLength: 63 }, app: { type: 'string', maxLength: 250 } },
} as const;

export const versionParams = {
  type: 'object', required: ['ws', 'app', 'version'],
  properties: { ws: { type: 'string', maxLength: 63 }, app: { type: 'string', maxLength: 250 }, version: { type: 'string', maxLength: 128 } },
} as const;

export interface AppParams { ws: string; app: string }
export interface VersionParams extends AppParams { version: string }
