// Enforces each route's declared access (src/http/access.ts) and resolves what it names,
// once, before the handler: the workspace (with the caller's standing in it), then the
// app and the version, as distribution's dispatcher does. Handlers read the result with
// workspaceScope / appScope / versionScope and never re-derive access.
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { caller, type Access, type Scope } from '../http/access.js';
import { actorsFor, effectiveWorkspaceRole } from '../accounts/principal.js';
import { workspaceRoleAtLeast } from '../accounts/permissions.js';
import { findWorkspaceForUser } from '../workspaces/workspaces.js';
import { getApp } from '../apps/apps.js';
import { getVersionDetail } from '../versions/app-versions.js';

type Params = Record<string, string | undefined>;

function needPermission(request: FastifyRequest, rule: Extract<Access, { kind: 'permission' }>): void {
  const p = caller(request);
  if (p.permissions.has(rule.permission)) return;
  if (rule.orSelf && (request.params as Params)[rule.orSelf] === p.username) return;
  throw new AppError('forbidden', `this needs the ${rule.permission} permission`);
}

async function resolveWorkspace(request: FastifyRequest, rule: Extract<Access, { kind: 'workspace' }>): Promise<Scope> {
  const app = request.server;
  const p = caller(request);
  const params = request.params as Params;
  const name = params.ws ?? '';
  const found = await app.db.cached(`workspace:${name}:${p.userId}`, () =>
    findWorkspaceForUser(app.db, name, p.userId),
  );
  const role = found ? effectiveWorkspaceRole(p, found.memberRole) : null;
  // Outsiders hear exactly what they would for a workspace that does not exist.
  if (!found || !role) throw new AppError('not-found', `workspace ${JSON.stringify(name)} not found`);
  if (!workspaceRoleAtLeast(role, rule.role) && !(rule.orPermission && p.permissions.has(rule.orPermission))) {
    throw new AppError(
      'forbidden',
      `this needs the ${rule.role} role in workspace ${JSON.stringify(name)}; you are ${role}`,
    );
  }
  if (rule.andPermission && !p.permissions.has(rule.andPermission)) {
    throw new AppError('forbidden', `this needs the ${rule.andPermission} permission`);
  }
  const workspace = found.workspace;
  const scope = { workspace, role, actors: actorsFor(p, role) };
  if (rule.resolve === 'workspace') return scope;
  const appRecord = await getApp(app.db, workspace.id, params.app ?? '');
  if (rule.resolve === 'app') return { ...scope, app: appRecord };
  const version = await getVersionDetail(app.db, appRecord.id, appRecord.name, params.version ?? '');
  return { ...scope, app: appRecord, version };
}

export default fp(
  async (app) => {
    app.decorateRequest('scope', null);
    // Checked once all routes are in (plugins such as the docs set theirs in their own
    // onRoute hooks, which run after this one): a route without a rule stops start-up.
    const routes: Array<{ method: unknown; url: string; config?: { access?: Access } }> = [];
    app.addHook('onRoute', (route) => void routes.push(route));
    app.addHook('onReady', async () => {
      const undeclared = routes.filter((r) => !r.config?.access).map((r) => `${String(r.method)} ${r.url}`);
      if (undeclared.length > 0) {
        throw new Error(`routes without an access rule (config.access): ${undeclared.join(', ')}`);
      }
    });
    // After validation, like the checks it replaces, so a bad request is a 400 to all.
    app.addHook('preHandler', async (request) => {
      const rule = request.routeOptions.config.access;
      if (!rule) return; // unmatched URLs (the 404 handler)
      switch (rule.kind) {
        case 'public':
          return;
        case 'store':
          if (!app.config.storePublic) caller(request);
          return;
        case 'signed-in':
          caller(request);
          return;
        case 'permission':
          needPermission(request, rule);
          return;
        case 'workspace':
          request.scope = await resolveWorkspace(request, rule);
      }
    });
  },
  { name: 'chartroom-access', dependencies: ['chartroom-auth', 'chartroom-storage'] },
);
