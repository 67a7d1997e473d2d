// Workspaces: the unit that owns apps and a draft repository.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { WorkspaceRole } from '../accounts/permissions.js';

export interface Workspace {
  id: number;
  name: string;
  displayName: string;
  revision: number;
  createdAt: Date;
}

interface WorkspaceRow {
  id: number;
  name: string;
  display_name: string;
  revision: number;
  created_at: Date;
}

const toWorkspace = (r: WorkspaceRow): Workspace => ({
  id: r.id,
  name: r.name,
  displayName: r.display_name,
  revision: r.revision,
  createdAt: r.created_at,
});

// DNS-label-like, as Kubernetes namespaces and KubeSphere workspaces are.
export const WORKSPACE_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The workspace and the user's member role in it, in one query (every repository request needs both). */
export async function findWorkspaceForUser(
  q: Queryable,
  name: string,
  userId: number,
): Promise<{ workspace: Workspace; memberRole: WorkspaceRole | null } | null> {
  if (!WORKSPACE_NAME_RE.test(name)) return null;
  const rows = await q.query<WorkspaceRow & { member_role: WorkspaceRole | null }>(
    `SELECT w.id, w.name, w.display_name, w.revision, w.created_at, m.role AS member_role
       FROM workspaces w LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $2
      WHERE w.name = $1`,
    [name, userId],
  );
  return rows[0] ? { workspace: toWorkspace(rows[0]), memberRole: rows[0].member_role } : null;
}

export async function createWorkspace(
  q: Queryable,
  input: { name: string; displayName?: string; createdBy: number | null },
): Promise<Workspace> {
  if (!WORKSPACE_NAME_RE.test(input.name)) {
    throw new AppError(
      'validation-failed',
      `workspace name ${JSON.stringify(input.name)} must be a DNS label: lower-case letters, digits and "-", at most 63 characters`,
    );
  }
  const rows = await q.query<WorkspaceRow>(
    `INSERT INTO workspaces (name, display_name, created_by) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO NOTHING
     RETURNING id, name, display_name, revision, created_at`,
    [input.name, input.displayName ?? '', input.createdBy],
  );
  if (!rows[0]) throw new AppError('workspace-exists', `workspace ${JSON.stringify(input.name)} already exists`);
  return toWorkspace(rows[0]);
}

export async function listWorkspaces(q: Queryable, visibleTo: { userId: number; all: boolean }): Promise<Workspace[]> {
  const rows = visibleTo.all
    ? await q.query<WorkspaceRow>('SELECT id, name, display_name, revision, created_at FROM workspaces ORDER BY name')
    : await q.query<WorkspaceRow>(
        `SELECT w.id, w.name, w.display_name, w.revision, w.created_at FROM workspaces w
           JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $1 ORDER BY w.name`,
        [visibleTo.userId],
      );
  return rows.map(toWorkspace);
}

/** Inside a write transaction: serialises writers of the workspace and moves its
 * revision, which tells every replica its cached index is stale. */
export async function bumpWorkspaceRevision(q: Queryable, workspaceId: number): Promise<void> {
  await q.query('UPDATE workspaces SET revision = revision + 1, updated_at = now() WHERE id = $1', [workspaceId]);
}

export async function workspaceRevision(q: Queryable, workspaceId: number): Promise<number | null> {
  const rows = await q.query<{ revision: number }>('SELECT revision FROM workspaces WHERE id = $1', [workspaceId]);
  return rows[0]?.revision ?? null;
}

export async function setDisplayName(q: Queryable, id: number, displayName: string): Promise<Workspace> {
  const rows = await q.query<WorkspaceRow>(
    'UPDATE workspaces SET display_name = $2, updated_at = now() WHERE id = $1 RETURNING id, name, display_name, revision, created_at',
    [id, displayName],
  );
  return toWorkspace(rows[0] as WorkspaceRow);
}

/** Deletes a workspace that holds no apps (its memberships go with it). */
export async function deleteWorkspace(db: Database, id: number, name: string): Promise<void> {
  await db.tx(async (q) => {
    await q.query('SELECT id FROM workspaces WHERE id = $1 FOR UPDATE', [id]);
    // Apps whose versions were all deleted hold nothing a user could lose.
    const apps = await q.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM apps a WHERE a.workspace_id = $1 AND EXISTS (SELECT 1 FROM app_versions v WHERE v.app_id = a.id)',
      [id],
    );
    const n = apps[0]?.n ?? 0;
    if (n > 0) {
      throw new AppError(
        'workspace-not-empty',
        `workspace ${JSON.stringify(name)} still holds ${n} app(s) with versions; delete them first`,
      );
    }
    await q.query('DELETE FROM apps WHERE workspace_id = $1', [id]);
    await q.query('DELETE FROM workspaces WHERE id = $1', [id]);
  });
}
