// Who may call a route is declared beside it, in its options (`config.access`), so the
// rule can be read, listed and tested without reading handler code (ChartMuseum's
// routes-as-data). One hook (src/plugins/access.ts) enforces every declaration and
// resolves the workspace, app and version a route names before its handler runs.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Permission, WorkspaceRole } from '../accounts/permissions.js';
import type { Principal } from '../accounts/principal.js';
import type { Workspace } from '../workspaces/workspaces.js';
import type { AppRecord } from '../apps/apps.js';
import type { AppVersion } from '../versions/app-versions.js';
import type { Actor } from '../lifecycle/state-machine.js';

/** What a workspace route looks up from its path before the handler runs. */
export type Resolve = 'workspace' | 'app' | 'version';

export type Access =
  /** Anyone, with or without credentials (wrong credentials are still refused). */
  | { kind: 'public' }
  /** Anyone while the store is public (CHARTROOM_STORE_PUBLIC); signed-in users otherwise. */
  | { kind: 'store' }
  | { kind: 'signed-in' }
  /** A platform permission; `orSelf` names a path parameter that lets a user act on themself. */
  | { kind: 'permission'; permission: Permission; orSelf?: string }
  /**
   * The workspace named by the `ws` path parameter: outsiders get the 404 of a missing
   * workspace; members below `role` get 403, unless they hold `orPermission`.
   * `andPermission` is needed on top of seeing the workspace.
   */
  | { kind: 'workspace'; role: WorkspaceRole; resolve: Resolve; orPermission?: Permission; andPermission?: Permission };

export const access = {
  public: { kind: 'public' } as Access,
  store: { kind: 'store' } as Access,
  signedIn: { kind: 'signed-in' } as Access,
  permission: (permission: Permission, opts: { orSelf?: string } = {}): Access => ({
    kind: 'permission',
    permission,
    ...opts,
  }),
  workspace: (
    role: WorkspaceRole,
    opts: { resolve?: Resolve; orPermission?: Permission; andPermission?: Permission } = {},
  ): Access => ({ kind: 'workspace', role, resolve: opts.resolve ?? 'workspace', ...opts }),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares who may call it; a route without one is refused at start. */
    access?: Access;
  }
  interface FastifyRequest {
    /** What the route's declaration resolved: set by the access hook before the handler. */
    scope: Scope | null;
  }
}

export interface WorkspaceScope {
  workspace: Workspace;
  role: WorkspaceRole;
  /** What the caller can act as on this workspace's versions. */
  actors: ReadonlySet<Actor>;
}
export interface AppScope extends WorkspaceScope {
  app: AppRecord;
}
export interface VersionScope extends AppScope {
  version: AppVersion;
}
export type Scope = WorkspaceScope | AppScope | VersionScope;

/** True when anonymous callers may reach the route (they get 401 otherwise). */
export function allowsAnonymous(rule: Access | undefined, storePublic: boolean): boolean {
  return rule?.kind === 'public' || (rule?.kind === 'store' && storePublic);
}

function misdeclared(request: FastifyRequest, what: string): Error {
  return new Error(`route ${request.routeOptions.url} reads the ${what} but does not declare resolving it`);
}

/** The signed-in caller of a route that declared it needs one. */
export function caller(request: FastifyRequest): Principal {
  if (!request.principal) {
    throw new AppError('unauthorized', 'sign in with HTTP Basic (username and password or token) or a Bearer token');
  }
  return request.principal;
}

export function workspaceScope(request: FastifyRequest): WorkspaceScope {
  if (!request.scope) throw misdeclared(request, 'workspace');
  return request.scope;
}

export function appScope(request: FastifyRequest): AppScope {
  const s = request.scope;
  if (!s || !('app' in s)) throw misdeclared(request, 'app');
  return s;
}

export function versionScope(request: FastifyRequest): VersionScope {
  const s = request.scope;
  if (!s || !('version' in s)) throw misdeclared(request, 'version');
  return s;
}

/**
 * Making or revoking tokens and setting passwords need a sign-in with the password.
 * A token could otherwise mint a token (or a password) that outlives it, and a
 * stolen token could lock its owner out.
 */
export function requirePasswordSignIn(request: FastifyRequest, what: string): Principal {
  const p = caller(request);
  // A console session was opened with the password (and its writes are CSRF-checked).
  if (p.via === 'token') {
    throw new AppError(
      'forbidden',
      `${what} needs a sign-in with your password, not a token: sign in with HTTP Basic and your username and password`,
    );
  }
  return p;
}
