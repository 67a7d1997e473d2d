// What the store shows: the active versions of apps that are not suspended.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { candidateColumns, firstFound, pairKey, parsePackageFileName } from '../charts/package-file-name.js';
import { APP_COLUMNS, APP_FROM, toApp, type AppRecord, type AppRow } from '../apps/apps.js';
import {
  inStoreIndex,
  toPackageRef,
  toVersion,
  VERSION_COLUMNS,
  VERSION_FROM,
  type IndexedVersion,
  type PackageRef,
  type PackageRow,
  type VersionRow,
} from '../versions/app-versions.js';
import { STORE_APP_CONDITION } from '../categories/categories.js';
import { compareVersionsDesc } from '../index/render.js';
import { containsPattern } from '../db/like.js';

/** A version as the store lists it: its store index entry is `created` when it was released. */
export type StoreVersion = IndexedVersion;

// The rows of the store's versions; queries add conditions with AND.
/** Which versions the store shows: active ones of apps not suspended (v: app_versions, a: apps). */
const STORE_WHERE = "v.state = 'active' AND NOT a.suspended";
const IN_STORE = `${VERSION_FROM} JOIN apps a ON a.id = v.app_id WHERE ${STORE_WHERE}`;
const STORE_VERSIONS = `SELECT ${VERSION_COLUMNS} FROM ${IN_STORE}`;

const toStoreVersion = (r: VersionRow): StoreVersion => inStoreIndex(toVersion(r));

export async function listStoreVersions(q: Queryable): Promise<StoreVersion[]> {
  return (await q.query<VersionRow>(STORE_VERSIONS)).map(toStoreVersion);
}

/** The store version a package file name stands for: one query at most, none for a name no chart could have. */
export async function findStoreVersionByFile(
  q: Queryable,
  file: string,
): Promise<{ version: PackageRef; prov: boolean } | null> {
  const parsed = parsePackageFileName(file);
  if (!parsed) return null;
  const { names, versions } = candidateColumns([parsed]);
  // Only what serving a file needs (every store download runs this).
  const rows = await q.query<PackageRow>(
    `SELECT a.name, v.version, v.id, v.digest, v.prov_digest
       FROM app_versions v JOIN apps a ON a.id = v.app_id
      WHERE ${STORE_WHERE} AND (a.name, v.version) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [names, versions],
  );
  const row = firstFound(parsed, new Map(rows.map((r) => [pairKey(r.name, r.version), r])));
  return row ? { version: toPackageRef(row), prov: parsed.prov } : null;
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

export async function listStoreApps(q: Queryable, query: StoreQuery): Promise<StoreListing> {
  const params: unknown[] = [];
  const where = [STORE_APP_CONDITION];
  if (query.category !== undefined) {
    params.push(query.category);
    where.push(
      /^\d{1,9}$/.test(query.category) ? `a.category_id = $${params.length}::int` : `c.name = $${params.length}`,
    );
  }
  if (query.q) {
    params.push(containsPattern(query.q));
    const p = `$${params.length}`;
    // name, description, abstraction, and the keywords of its active versions
    where.push(`(lower(a.name) LIKE ${p} OR lower(a.description) LIKE ${p} OR lower(a.abstraction) LIKE ${p}
      OR EXISTS (SELECT 1 FROM app_versions kv WHERE kv.app_id = a.id AND kv.state = 'active'
                 AND lower(coalesce(kv.metadata->>'keywords', '')) LIKE ${p}))`);
  }
  const filter = where.join(' AND ');
  const lastRelease = `(SELECT max(rv.released_at) FROM app_versions rv WHERE rv.app_id = a.id AND rv.state = 'active')`;
  const order = query.sort === 'name' ? 'a.name, a.id' : `${lastRelease} DESC NULLS LAST, a.name`;
  const totalRows = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${APP_FROM} WHERE ${filter}`, params);
  const rows = await q.query<AppRow & { workspace: string; last_released_at: Date | null }>(
    `SELECT ${APP_COLUMNS}, w.name AS workspace, ${lastRelease} AS last_released_at
       FROM ${APP_FROM} JOIN workspaces w ON w.id = a.workspace_id
      WHERE ${filter} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.limit, query.offset],
  );
  const items = [];
  for (const r of rows) {
    const versions = await storeVersionsOfApp(q, r.id);
    const latest = versions[0];
    if (!latest) continue;
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
  const versions = (await q.query<VersionRow>(`${STORE_VERSIONS} AND a.id = $1`, [appId])).map(toStoreVersion);
  return versions.sort((x, y) => compareVersionsDesc(x.metadata.version, y.metadata.version));
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
    `SELECT ${APP_COLUMNS}, w.name AS workspace FROM ${APP_FROM} JOIN workspaces w ON w.id = a.workspace_id
      WHERE a.name = $1 AND ${STORE_APP_CONDITION}`,
    [name],
  );
  const row = rows[0];
  if (!row) throw new AppError('not-found', `app ${JSON.stringify(name)} is not in the store`);
  const versions = await storeVersionsOfApp(q, row.id);
  const newest = versions[0];
  const files = newest
    ? (
        await q.query<{ readme: string | null; values_yaml: string | null }>(
          'SELECT readme, values_yaml FROM app_versions WHERE id = $1',
          [newest.id],
        )
      )[0]
    : undefined;
  return {
    app: toApp(row),
    workspace: row.workspace,
    versions,
    readme: files?.readme ?? null,
    values: files?.values_yaml ?? null,
  };
}
