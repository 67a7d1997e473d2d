// The store's chart names: a name released to the store belongs to the workspace that
// released it first, until that workspace deletes the app.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { joinWorkspace } from '../workspaces/workspaces.js';

/** Inside the release's transaction: takes the name for the workspace, or refuses when another owns it. */
export async function claimStoreName(q: Queryable, name: string, workspaceId: number): Promise<void> {
  await q.query('INSERT INTO store_names (name, workspace_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    workspaceId,
  ]);
  const owner = await q.query<{ workspace_id: number; owner: string }>(
    `SELECT s.workspace_id, w.name AS owner FROM store_names s ${joinWorkspace('s.workspace_id')} WHERE s.name = $1`,
    [name],
  );
  const row = owner[0];
  if (row && row.workspace_id !== workspaceId) {
    throw new AppError(
      'store-name-taken',
      `the chart name ${JSON.stringify(name)} is already released to the store by workspace ${JSON.stringify(row.owner)}`,
      { owner: row.owner },
    );
  }
}

/** Inside the app's deletion: the workspace gives the name up. */
export async function releaseStoreName(q: Queryable, name: string, workspaceId: number): Promise<void> {
  await q.query('DELETE FROM store_names WHERE name = $1 AND workspace_id = $2', [name, workspaceId]);
}
