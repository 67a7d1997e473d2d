// Apps: a chart name in a workspace with the info an app store shows (description,
// one-line abstraction, home, icon, category) and the app-level suspension flag. The
// operations whose rules depend on an app's versions (deleting it, an edit that moves
// the store revision) are composed in src/versions/containers.ts: versions build on apps,
// so apps cannot ask about versions.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../lifecycle/audit.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import { touchIndex } from '../index/repo-index.js';
import { requireAllowed, type Actor } from '../lifecycle/state-machine.js';
import { swapBlob } from '../blobs/references.js';
import { joinCategory, type CategoryRecord } from '../categories/categories.js';
import { releaseStoreName } from './store-names.js';

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
export const APP_FROM = `apps a ${joinCategory('a.category_id')}`;
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

/** Joins the app (as `a`) whose id is the column `on`. */
export const joinApp = (on: string): string => `JOIN apps a ON a.id = ${on}`;

/** The condition on `a` the store adds to its own: a suspended app is hidden whatever its versions' states. */
export const APP_NOT_SUSPENDED = 'NOT a.suspended';

export async function findApp(q: Queryable, workspaceId: number, name: string): Promise<AppRecord | null> {
  const rows = await q.query<AppRow>(`${APP_SELECT} WHERE a.workspace_id = $1 AND a.name = $2`, [workspaceId, name]);
  return rows[0] ? toApp(rows[0]) : null;
}

export async function getApp(q: Queryable, workspaceId: number, name: string): Promise<AppRecord> {
  const app = await findApp(q, workspaceId, name);
  if (!app) throw new AppError('not-found', `app ${JSON.stringify(name)} not found`);
  return app;
}

/** A page of a workspace's apps by name: `limit` of them after the name `after`, and the name to go on from. */
export async function listAppsPage(
  q: Queryable,
  workspaceId: number,
  limit: number,
  after: string | null,
): Promise<{ items: AppRecord[]; next: string | null }> {
  const rows = await q.query<AppRow>(
    `${APP_SELECT} WHERE a.workspace_id = $1 AND ($2::text IS NULL OR a.name > $2) ORDER BY a.name LIMIT $3`,
    [workspaceId, after, limit + 1],
  );
  const items = rows.slice(0, limit).map(toApp);
  return { items, next: rows.length > limit ? (items[items.length - 1]?.name ?? null) : null };
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

/** Inside a transaction: the app, its row locked against concurrent changes; not-found when missing. */
export async function lockApp(q: Queryable, workspaceId: number, name: string): Promise<AppRecord> {
  const rows = await q.query<AppRow>(`${APP_SELECT} WHERE a.workspace_id = $1 AND a.name = $2 FOR UPDATE OF a`, [
    workspaceId,
    name,
  ]);
  if (!rows[0]) throw new AppError('not-found', `app ${JSON.stringify(name)} not found`);
  return toApp(rows[0]);
}

/**
 * Inside an upload's transaction: the id of the app `name`, created with `info` (what
 * src/apps/app-info.ts kept of the chart's) when the workspace has no such app yet.
 */
export async function ensureApp(
  q: Queryable,
  workspaceId: number,
  name: string,
  info: { description: string; home: string },
): Promise<number> {
  const rows = await q.query<{ id: number }>(
    `INSERT INTO apps (workspace_id, name, description, home) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, name) DO UPDATE SET updated_at = now() RETURNING id`,
    [workspaceId, name, info.description, info.home],
  );
  return (rows[0] as { id: number }).id;
}

/**
 * Inside a transaction: applies the patch (its category already looked up) and records
 * what changed; true when anything did.
 */
export async function writeAppInfo(
  q: Queryable,
  app: AppRecord,
  patch: Omit<AppPatch, 'category'>,
  category: CategoryRecord | null,
  actor: string,
): Promise<boolean> {
  const changed: string[] = [];
  if (category && category.id !== app.category?.id) changed.push(`category=${category.name}`);
  for (const key of ['description', 'abstraction', 'home'] as const) {
    if (patch[key] !== undefined && patch[key] !== app[key]) changed.push(key);
  }
  await q.query(
    `UPDATE apps SET description = COALESCE($2, description), abstraction = COALESCE($3, abstraction),
       home = COALESCE($4, home), category_id = COALESCE($5, category_id), updated_at = now() WHERE id = $1`,
    [app.id, patch.description ?? null, patch.abstraction ?? null, patch.home ?? null, category?.id ?? null],
  );
  if (changed.length > 0) {
    await recordEvent(q, { appId: app.id, actor, action: 'edit', message: `changed ${changed.join(', ')}` });
  }
  return changed.length > 0;
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

/**
 * Inside a transaction, once the caller checked the app holds no versions: deletes it
 * and gives up its store name. Its icon blob is the caller's to release.
 */
export async function deleteAppRow(q: Queryable, app: AppRecord): Promise<void> {
  await q.query('DELETE FROM apps WHERE id = $1', [app.id]);
  await releaseStoreName(q, app.name, app.workspaceId);
}

/** Inside a transaction, once the caller checked none holds a version: deletes the workspace's apps. */
export async function deleteAppsOfWorkspace(q: Queryable, workspaceId: number): Promise<void> {
  await q.query('DELETE FROM apps WHERE workspace_id = $1', [workspaceId]);
}

/** How many apps (in the store or not) are in the category. */
export async function countAppsInCategory(q: Queryable, categoryId: number): Promise<number> {
  const rows = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM apps WHERE category_id = $1', [categoryId]);
  return rows[0]?.n ?? 0;
}

/** Only reviewers suspend or activate an app (the route's access rule). */
const MODERATOR: ReadonlySet<Actor> = new Set<Actor>(['reviewer']);

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
    const app = await lockApp(q, workspaceId, name);
    const from = app.suspended ? 'suspended' : 'active';
    requireAllowed(suspend ? 'suspend' : 'activate', from, MODERATOR, { app: name });
    await q.query('UPDATE apps SET suspended = $2, updated_at = now() WHERE id = $1', [app.id, suspend]);
    await touchIndex(q, { store: true }, await bumpStoreRevision(q), [app.name]);
    await recordEvent(q, {
      appId: app.id,
      actor,
      action: suspend ? 'suspend-app' : 'activate-app',
      from,
      to: suspend ? 'suspended' : 'active',
      message,
    });
    return getApp(q, workspaceId, name);
  });
}
