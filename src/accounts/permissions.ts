// The fixed permission catalogue and the workspace roles (spec section 3).
import { AppError } from '../errors.js';

export const PERMISSIONS = {
  'users.manage': 'Create, change, disable and delete users',
  'roles.manage': 'Create, change and delete custom platform roles',
  'workspaces.manage': 'Create, rename and delete workspaces; manage any workspace and its members',
  'app-templates.view': "Read every workspace's apps and the review queue",
  'app-templates.manage': 'Review versions, manage categories, suspend and activate store apps',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const WORKSPACE_ROLES = ['workspace-admin', 'workspace-regular', 'workspace-viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

const RANK: Record<WorkspaceRole, number> = { 'workspace-viewer': 1, 'workspace-regular': 2, 'workspace-admin': 3 };

/** True when `held` is at least `needed`. */
export function workspaceRoleAtLeast(held: WorkspaceRole | null, needed: WorkspaceRole): boolean {
  return held !== null && RANK[held] >= RANK[needed];
}

/** The permissions in `wanted` that `held` lacks, sorted; empty when none. */
export function missingPermissions(held: ReadonlySet<Permission>, wanted: Iterable<string>): string[] {
  return [...new Set(wanted)].filter((p) => !held.has(p as Permission)).sort();
}

/**
 * Nobody hands out, or reaches past, more than they hold themselves: giving a role,
 * making a role hold permissions, or acting on a user or role that holds a permission
 * the caller lacks is refused, naming what is missing. `what` says what was attempted.
 */
export function requireHeld(held: ReadonlySet<Permission>, wanted: Iterable<string>, what: string): void {
  const missing = missingPermissions(held, wanted);
  if (missing.length === 0) return;
  const names = missing.join(', ');
  throw new AppError(
    'forbidden',
    `${what} needs the ${names} permission${missing.length > 1 ? 's' : ''}, which you do not hold`,
  );
}
