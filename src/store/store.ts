// What the store shows: the active versions of apps that are not suspended. The
// condition is written here once (STORE_APP); the queries over versions it composes
// are src/versions', over apps src/apps'.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { APP_COLUMNS, APP_FROM, APP_NOT_SUSPENDED, toApp, type AppRecord, type AppRow } from '../apps/apps.js';
import {
  activeKeywordsLike,
  activeVersionExists,
  findVersionFiles,
  inStoreIndex,
  lastReleasedAt,
  listActiveVersions,
  type IndexedVersion,
  type PackageRef,
} from '../versions/app-versions.js';
import { findActivePackageByFile } from '../versions/versions.js';
import { categoryIs } from '../categories/categories.js';
import { joinWorkspace } from '../workspaces/workspaces.js';
import { compareVersionsDesc } from '../index/render.js';
import { containsPattern } from '../db/like.js';

/** A version as the store lists it: its store index entry is `created` when it was released. */
export type StoreVersion = IndexedVersion;

/** The condition on an app (`a`) the store shows: not suspended, and holding an active version. */
export const STORE_APP = `${APP_NOT_SUSPENDED} AND ${activeVersionExists('a')}`;

/** The store's versions of the apps (`a`) that `appCondition` picks. */
async function storeVersions(q: Queryable, appCondition = 'true', params: unknown[] = []): Promise<StoreVersion[]> {
  return (await listActiveVersions(q, `${APP_NOT_SUSPENDED} AND ${appCondition}`, params)).map(inStoreIndex);
}

const newestFirst = (versions: StoreVersion[]): StoreVersion[] =>
  versions.sort((x, y) => compareVersionsDesc(x.metadata.version, y.metadata.version));

/** The store's versions, of every chart or of the named ones. */
export async function listStoreVersions(q: Queryable, names?: string[]): Promise<StoreVersion[]> {
  return names ? storeVersions(q, 'a.name = ANY($1)', [names]) : storeVersions(q);
}

/** The store version a package file name stands for: one query at most, none for a name no chart could have. */
export async function findStoreVersionByFile(
  q: Queryable,
  file: string,
): Promise<{ version: PackageRef; prov: boolean } | null> {
  return findActivePackageByFile(q, APP_NOT_SUSPENDED, file);
}

export interface StoreListing {
  items: Array<{
    app: AppRecord;
    workspace: string;
    latest: StoreVersion;
    versions: number;
    lastReleasedAt: Date | null;
  }>;
  total: number;
}

export interface StoreQuery {
  category?: string;
  q?: string;
  sort: 'newest' | 'name';
  limit: number;
  offset: number;
}

/** A page of the store's apps: three queries (the total, the page, its versions) however long the page. */
export async function listStoreApps(q: Queryable, query: StoreQuery): Promise<StoreListing> {
  const params: unknown[] = [];
  const where = [STORE_APP];
  if (query.category !== undefined) {
    params.push(query.category);
    where.push(categoryIs(query.category, `$${params.length}`));
  }
  if (query.q) {
    params.push(containsPattern(query.q));
    const p = `$${params.length}`;
    // name, description, abstraction, and the keywords of its active versions
    where.push(`(lower(a.name) LIKE ${p} OR lower(a.description) LIKE ${p} OR lower(a.abstraction) LIKE ${p}
      OR ${activeKeywordsLike('a', p)})`);
  }
  const filter = where.join(' AND ');
  const lastRelease = lastReleasedAt('a');
  const order = query.sort === 'name' ? 'a.name, a.id' : `${lastRelease} DESC NULLS LAST, a.name`;
  const totalRows = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${APP_FROM} WHERE ${filter}`, params);
  const rows = await q.query<AppRow & { workspace: string; last_released_at: Date | null }>(
    `SELECT ${APP_COLUMNS}, w.name AS workspace, ${lastRelease} AS last_released_at
       FROM ${APP_FROM} ${joinWorkspace('a.workspace_id')}
      WHERE ${filter} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.limit, query.offset],
  );
  const byApp = new Map<number, StoreVersion[]>();
  if (rows.length > 0) {
    const ids = rows.map((r) => r.id);
    for (const v of newestFirst(await storeVersions(q, 'a.id = ANY ($1::int[])', [ids]))) {
      const list = byApp.get(v.appId);
      if (list) list.push(v);
      else byApp.set(v.appId, [v]);
    }
  }
  const items = [];
  for (const r of rows) {
    const versions = byApp.get(r.id) ?? [];
    const latest = versions[0];
    if (!latest) continue; // its last active version went between the two reads
    items.push({
      app: toApp(r),
      workspace: r.workspace,
      latest,
      versions: versions.length,
      lastReleasedAt: r.last_released_at,
    });
  }
  return { items, total: totalRows[0]?.n ?? 0 };
}

export async function storeVersionsOfApp(q: Queryable, appId: number): Promise<StoreVersion[]> {
  return newestFirst(await storeVersions(q, 'a.id = $1', [appId]));
}

export async function getStoreApp(
  q: Queryable,
  name: string,
): Promise<{
  app: AppRecord;
  workspace: string;
  versions: StoreVersion[];
  readme: string | null;
  values: string | null;
}> {
  const rows = await q.query<AppRow & { workspace: string }>(
    `SELECT ${APP_COLUMNS}, w.name AS workspace FROM ${APP_FROM} ${joinWorkspace('a.workspace_id')}
      WHERE a.name = $1 AND ${STORE_APP}`,
    [name],
  );
  const row = rows[0];
  if (!row) throw new AppError('not-found', `app ${JSON.stringify(name)} is not in the store`);
  const versions = await storeVersionsOfApp(q, row.id);
  const newest = versions[0];
  const files = newest ? await findVersionFiles(q, newest.id) : null;
  return {
    app: toApp(row),
    workspace: row.workspace,
    versions,
    readme: files?.readme ?? null,
    values: files?.valuesYaml ?? null,
  };
}
