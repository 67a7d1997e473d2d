// Workspaces: the unit that owns apps and a draft repository.
import { prepared, type Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { WorkspaceRole } from '../accounts/permissions.js';
import { DNS_LABEL_RE } from '../names.js';

export interface Workspace {
  id: number;
  name: string;
  displayName: string;
  revision: number;
  /** When the revision last moved: its index's `generated` time. */
  revisedAt: Date;
  createdAt: Date;
}

interface WorkspaceRow {
  id: number;
  name: string;
  display_name: string;
  revision: number;
  revised_at: Date;
  created_at: Date;
}

const COLUMNS = 'w.id, w.name, w.display_name, w.revision, w.revised_at, w.created_at';

const toWorkspace = (r: WorkspaceRow): Workspace => ({
  id: r.id,
  name: r.name,
  displayName: r.display_name,
  revision: r.revision,
  revisedAt: r.revised_at,
  createdAt: r.created_at,
});

// DNS-label-like, as Kubernetes namespaces and KubeSphere workspaces are.
export const WORKSPACE_NAME_RE = DNS_LABEL_RE;

/** Joins the workspace (as `w`) whose id is the column `on`. */
export const joinWorkspace = (on: string): string => `JOIN workspaces w ON w.id = ${on}`;

/** Joins the membership (as `m`, null for outsiders) in the workspace `w` of the user whose id is `userId`. */
export const joinMembership = (userId: string): string =>
  `LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = ${userId}`;

// Run on every workspace request (indexes, packages): prepared once per connection on Postgres.
const WORKSPACE_FOR_USER = prepared(
  `SELECT ${COLUMNS}, m.role AS member_role FROM workspaces w ${joinMembership('$2')} WHERE w.name = $1`,
);

/** The workspace and the user's member role in it, in one query (every repository request needs both). */
export async function findWorkspaceForUser(
  q: Queryable,
  name: string,
  userId: number,
): Promise<{ workspace: Workspace; memberRole: WorkspaceRole | null } | null> {
  if (!WORKSPACE_NAME_RE.test(name)) return null;
  const rows = await q.query<WorkspaceRow & { member_role: WorkspaceRole | null }>(WORKSPACE_FOR_USER, [name, userId]);
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
    `INSERT INTO workspaces AS w (name, display_name, created_by) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [input.name, input.displayName ?? '', input.createdBy],
  );
  if (!rows[0]) throw new AppError('workspace-exists', `workspace ${JSON.stringify(input.name)} already exists`);
  return toWorkspace(rows[0]);
}

/** A page of the workspaces a user may see (all of them, or theirs), by name after `after`. */
export async function listWorkspaces(
  q: Queryable,
  visibleTo: { userId: number; all: boolean },
  limit: number,
  after: string | null,
): Promise<{ items: Workspace[]; next: string | null }> {
  const rows = await q.query<WorkspaceRow>(
    `SELECT ${COLUMNS} FROM workspaces w
      WHERE ($1::boolean OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.user_id = $2::int))
        AND ($3::text IS NULL OR w.name > $3)
      ORDER BY w.name LIMIT $4`,
    [visibleTo.all, visibleTo.userId, after, limit + 1],
  );
  const items = rows.slice(0, limit).map(toWorkspace);
  return { items, next: rows.length > limit ? (items[items.length - 1]?.name ?? null) : null };
}

/** The workspaces whose contents changed most recently, newest first. */
export async function listRecentlyRevised(q: Queryable, limit: number): Promise<Workspace[]> {
  const rows = await q.query<WorkspaceRow>(
    `SELECT ${COLUMNS} FROM workspaces w ORDER BY w.revised_at DESC, w.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toWorkspace);
}

/** Inside a write transaction: serialises writers of the workspace and moves its
 * revision, which tells every replica its cached index is stale. Returns the new revision. */
export async function bumpWorkspaceRevision(q: Queryable, workspaceId: number): Promise<number> {
  const rows = await q.query<{ revision: number }>(
    'UPDATE workspaces SET revision = revision + 1, revised_at = now(), updated_at = now() WHERE id = $1 RETURNING revision',
    [workspaceId],
  );
  return rows[0]?.revision ?? 0;
}

export async function setDisplayName(q: Queryable, id: number, displayName: string): Promise<Workspace> {
  const rows = await q.query<WorkspaceRow>(
    `UPDATE workspaces w SET display_name = $2, updated_at = now() WHERE w.id = $1 RETURNING ${COLUMNS}`,
    [id, displayName],
  );
  return toWorkspace(rows[0] as WorkspaceRow);
}

/** Inside a transaction: locks the workspace row, which serialises changes to its members and its deletion. */
export async function lockWorkspace(q: Queryable, id: number): Promise<void> {
  await q.query('SELECT id FROM workspaces WHERE id = $1 FOR UPDATE', [id]);
}

/**
 * Inside a transaction, once nothing in the workspace is left (src/versions/containers.ts
 * checks that and removes its empty apps): deletes it, and its memberships with it.
 */
export async function deleteWorkspaceRow(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM workspaces WHERE id = $1', [id]);
}
