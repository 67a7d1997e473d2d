// The fixed permission catalogue and the workspace roles (spec section 3).

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
