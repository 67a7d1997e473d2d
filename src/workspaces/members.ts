// Workspace members and their workspace roles.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../accounts/permissions.js';
import { findUserRow, joinUser } from '../accounts/users.js';
import { joinWorkspace, lockWorkspace } from './workspaces.js';

export interface Member {
  username: string;
  displayName: string;
  role: WorkspaceRole;
  joinedAt: string;
}

/** A page of a workspace's members, by username after `after`. */
export async function listMembers(
  q: Queryable,
  workspaceId: number,
  limit: number,
  after: string | null,
): Promise<{ items: Member[]; next: string | null }> {
  const rows = await q.query<{ username: string; display_name: string; role: WorkspaceRole; created_at: Date }>(
    `SELECT u.username, u.display_name, m.role, m.created_at FROM workspace_members m ${joinUser('m.user_id')}
      WHERE m.workspace_id = $1 AND ($2::text IS NULL OR u.username > $2) ORDER BY u.username LIMIT $3`,
    [workspaceId, after, limit + 1],
  );
  const items = rows.slice(0, limit).map((r) => ({
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    joinedAt: r.created_at.toISOString(),
  }));
  return { items, next: rows.length > limit ? (items[items.length - 1]?.username ?? null) : null };
}

/** The workspaces a user is a member of, by name, with their role in each. */
export async function listMemberships(
  q: Queryable,
  userId: number,
): Promise<Array<{ name: string; role: WorkspaceRole }>> {
  return q.query<{ name: string; role: WorkspaceRole }>(
    `SELECT w.name, m.role FROM workspace_members m ${joinWorkspace('m.workspace_id')} WHERE m.user_id = $1 ORDER BY w.name`,
    [userId],
  );
}

/** Inside a transaction: refuses to demote or remove the workspace's last admin. */
async function keepAWorkspaceAdmin(q: Queryable, workspaceId: number, userId: number): Promise<void> {
  await lockWorkspace(q, workspaceId); // serialises member changes
  const rows = await q.query<{ role: string; admins: number }>(
    `SELECT m.role, (SELECT count(*)::int FROM workspace_members a WHERE a.workspace_id = $1 AND a.role = 'workspace-admin') AS admins
       FROM workspace_members m WHERE m.workspace_id = $1 AND m.user_id = $2`,
    [workspaceId, userId],
  );
  const row = rows[0];
  if (row && row.role === 'workspace-admin' && row.admins <= 1) {
    throw new AppError(
      'conflict',
      'this would leave the workspace without a workspace-admin member; make someone else workspace-admin first',
    );
  }
}

export async function setMember(
  db: Database,
  workspaceId: number,
  username: string,
  role: string,
): Promise<{ member: Member; created: boolean }> {
  if (!(WORKSPACE_ROLES as readonly string[]).includes(role)) {
    throw new AppError('validation-failed', `role must be one of ${WORKSPACE_ROLES.join(', ')}`);
  }
  const user = await findUserRow(db, username);
  if (!user) throw new AppError('not-found', `user ${JSON.stringify(username)} not found`);
  return db.tx(async (q) => {
    if (role !== 'workspace-admin') await keepAWorkspaceAdmin(q, workspaceId, user.id);
    return upsertMember(q, workspaceId, user, role);
  });
}

async function upsertMember(
  db: Queryable,
  workspaceId: number,
  user: { id: number; username: string; display_name: string },
  role: string,
): Promise<{ member: Member; created: boolean }> {
  const rows = await db.query<{ created_at: Date; inserted: boolean }>(
    `INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role
     RETURNING created_at, (xmax = 0) AS inserted`,
    [workspaceId, user.id, role],
  );
  const row = rows[0] as { created_at: Date; inserted: boolean };
  return {
    member: {
      username: user.username,
      displayName: user.display_name,
      role: role as WorkspaceRole,
      joinedAt: row.created_at.toISOString(),
    },
    created: row.inserted,
  };
}

export async function removeMember(db: Database, workspaceId: number, username: string): Promise<void> {
  await db.tx(async (q) => {
    const user = await findUserRow(q, username);
    if (user) await keepAWorkspaceAdmin(q, workspaceId, user.id);
    const rows = user
      ? await q.query('DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2 RETURNING user_id', [
          workspaceId,
          user.id,
        ])
      : [];
    if (rows.length === 0) {
      throw new AppError('not-found', `${JSON.stringify(username)} is not a member of this workspace`);
    }
  });
}
