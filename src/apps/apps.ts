// Apps: a chart name in a workspace with the info an app store shows (description,
// one-line abstraction, home, icon, category) and the app-level suspension flag.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../lifecycle/audit.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import { bumpWorkspaceRevision } from '../workspaces/workspaces.js';
import { deleteIfUnreferenced, swapBlob } from '../blobs/references.js';
import { findCategory } from '../categories/categories.js';

export interface AppRecord {
  id: number;
  workspaceId: number;
  name: string;
  description: string;
  abstraction: string;
  home: string;
  iconDigest: string | null;
  iconType: string | null;
  category: { id: number; name: string } | null;
  suspended: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AppRow {
  id: number;
  workspace_id: number;
  name: string;
  description: string;
  abstraction: string;
  home: string;
  icon_digest: string | null;
  icon_type: string | null;
  category_id: number | null;
  category_name: string | null;
  suspended: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The columns of an AppRow; select them FROM APP_FROM (which names the app `a`), joining more tables after it. */
export const APP_COLUMNS = `a.id, a.workspace_id, a.name, a.description, a.abstraction, a.home, a.icon_digest, a.icon_type,
  a.category_id, c.name AS category_name, a.suspended, a.created_at, a.updated_at`;
export const APP_FROM = 'apps a LEFT JOIN categories c ON c.id = a.category_id';
const APP_SELECT = `SELECT ${APP_COLUMNS} FROM ${APP_FROM}`;

export const toApp = (r: AppRow): AppRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  description: r.description,
  abstraction: r.abstraction,
  home: r.home,
  iconDigest: r.icon_digest,
  iconType: r.icon_type,
  category: r.category_id !== null ? { id: r.category_id, name: r.category_name ?? '' } : null,
  suspended: r.suspended,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function findApp(q: Queryable, workspaceId: number, name: string): Promise<AppRecord | null> {
  const rows = await q.query<AppRow>(`${APP_SELECT} WHERE a.workspace_id = $1 AND a.name = $2`, [workspaceId, name]);
  return rows[0] ? toApp(rows[0]) : null;
}

export async function getApp(q: Queryable, workspaceId: number, name: string): Promise<AppRecord> {
  const app = await findApp(q, workspaceId, name);
  if (!app) throw new AppError('not-found', `app ${JSON.stringify(name)} not found`);
  return app;
}

export async function listApps(q: Queryable, workspaceId: number): Promise<AppRecord[]> {
  const rows = await q.query<AppRow>(`${APP_SELECT} WHERE a.workspace_id = $1 ORDER BY a.name`, [workspaceId]);
  return rows.map(toApp);
}

/** The apps with these ids, by id, in one query. */
export async function listAppsByIds(q: Queryable, ids: readonly number[]): Promise<Map<number, AppRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await q.query<AppRow>(`${APP_SELECT} WHERE a.id = ANY ($1::int[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, toApp(r)]));
}

export interface AppPatch {
  description?: string;
  abstraction?: string;
  home?: string;
  /** A category's id or name. */
  category?: string | number;
}

/** Does the app hold a version the store shows? */
async function inStore(q: Queryable, appId: number): Promise<boolean> {
  return (
    (await q.query("SELECT 1 FROM app_versions WHERE app_id = $1 AND state = 'active' LIMIT 1", [appId])).length > 0
  );
}

export async function updateAppInfo(
  db: Database,
  workspaceId: number,
  name: string,
  patch: AppPatch,
  actor: string,
): Promise<AppRecord> {
  return db.tx(async (q) => {
    const app = await getApp(q, workspaceId, name);
    const changed: string[] = [];
    let categoryId: number | null = null;
    if (patch.category !== undefined) {
      const category = await findCategory(q, patch.category);
      if (!category) {
        throw new AppError('validation-failed', `category ${JSON.stringify(patch.category)} does not exist`);
      }
      categoryId = category.id;
      if (category.id !== app.category?.id) changed.push(`category=${category.name}`);
    }
    for (const key of ['description', 'abstraction', 'home'] as const) {
      if (patch[key] !== undefined && patch[key] !== app[key]) changed.push(key);
    }
    await q.query(
      `UPDATE apps SET description = COALESCE($2, description), abstraction = COALESCE($3, abstraction),
         home = COALESCE($4, home), category_id = COALESCE($5, category_id), updated_at = now() WHERE id = $1`,
      [app.id, patch.description ?? null, patch.abstraction ?? null, patch.home ?? null, categoryId],
    );
    if (changed.length > 0) {
      await recordEvent(q, { appId: app.id, actor, action: 'edit', message: `changed ${changed.join(', ')}` });
      if (await inStore(q, app.id)) await bumpStoreRevision(q);
    }
    return getApp(q, workspaceId, name);
  });
}

export async function setAppIcon(
  db: Database,
  blobs: BlobStore,
  workspaceId: number,
  name: string,
  bytes: Buffer,
  contentType: string,
  actor: string,
): Promise<AppRecord> {
  const app = await getApp(db, workspaceId, name);
  await swapBlob(db, blobs, bytes, app.iconDigest, async (q, digest) => {
    await q.query('UPDATE apps SET icon_digest = $2, icon_type = $3, updated_at = now() WHERE id = $1', [
      app.id,
      digest,
      contentType,
    ]);
    await recordEvent(q, {
      appId: app.id,
      actor,
      action: 'edit',
      message: `changed icon (${contentType}, ${bytes.length} bytes)`,
    });
  });
  return getApp(db, workspaceId, name);
}

export async function deleteApp(db: Database, blobs: BlobStore, workspaceId: number, name: string): Promise<void> {
  await db.tx(async (q) => {
    const rows = await q.query<{ id: number; icon_digest: string | null }>(
      'SELECT id, icon_digest FROM apps WHERE workspace_id = $1 AND name = $2 FOR UPDATE',
      [workspaceId, name],
    );
    const row = rows[0];
    if (!row) throw new AppError('not-found', `app ${JSON.stringify(name)} not found`);
    const versions = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM app_versions WHERE app_id = $1', [
      row.id,
    ]);
    const n = versions[0]?.n ?? 0;
    if (n > 0) {
      throw new AppError('app-not-empty', `app ${JSON.stringify(name)} still has ${n} version(s); delete them first`);
    }
    await q.query('DELETE FROM apps WHERE id = $1', [row.id]);
    await q.query('DELETE FROM store_names WHERE name = $1 AND workspace_id = $2', [name, workspaceId]);
    await bumpWorkspaceRevision(q, workspaceId);
    if (row.icon_digest) await deleteIfUnreferenced(q, blobs, row.icon_digest);
  });
}

/** Suspends or re-activates the whole app in the store, leaving version states alone. */
export async function setAppSuspended(
  db: Database,
  workspaceId: number,
  name: string,
  suspend: boolean,
  actor: string,
  message: string,
): Promise<AppRecord> {
  return db.tx(async (q) => {
    const rows = await q.query<{ id: number; suspended: boolean }>(
      'SELECT id, suspended FROM apps WHERE workspace_id = $1 AND name = $2 FOR UPDATE',
      [workspaceId, name],
    );
    const row = rows[0];
    if (!row) throw new AppError('not-found', `app ${JSON.stringify(name)} not found`);
    if (row.suspended === suspend) {
      const state = suspend ? 'suspended' : 'active';
      throw new AppError('invalid-transition', `app ${JSON.stringify(name)} is already ${state}`, {
        state,
        allowedActions: [suspend ? 'activate' : 'suspend'],
      });
    }
    await q.query('UPDATE apps SET suspended = $2, updated_at = now() WHERE id = $1', [row.id, suspend]);
    await bumpStoreRevision(q);
    await recordEvent(q, {
      appId: row.id,
      actor,
      action: suspend ? 'suspend-app' : 'activate-app',
      from: suspend ? 'active' : 'suspended',
      to: suspend ? 'suspended' : 'active',
      message,
    });
    return getApp(q, workspaceId, name);
  });
}
