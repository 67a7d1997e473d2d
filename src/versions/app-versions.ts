// The app_versions table as the code reads it: ONE shape a row becomes (AppVersion),
// one column list and one mapper, the one read that writers lock a version row with,
// and the reads that return whole versions (an app's versions, one version, the
// review queue), and what other modules ask of an app's versions (fragments such as
// activeVersionExists('a'), and counts). Everything else that shows a version derives
// from AppVersion. Other tables are joined through their owners' fragments.
import { prepared, type Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { ChartMetadata } from '../charts/ingest.js';
import type { VersionState } from '../lifecycle/state-machine.js';
import { listEventsOfVersions, type AuditEvent } from '../lifecycle/audit.js';
import type { WorkspaceRole } from '../accounts/permissions.js';
import { compareVersionsDesc, type IndexVersion } from '../index/render.js';
import { containsPattern } from '../db/like.js';
import { joinApp, listAppsByIds, type AppRecord } from '../apps/apps.js';
import { joinMembership, joinWorkspace } from '../workspaces/workspaces.js';
import { joinUser } from '../accounts/users.js';

export interface AppVersion {
  id: number;
  appId: number;
  version: string;
  appVersion: string;
  state: VersionState;
  metadata: ChartMetadata;
  digest: string;
  size: number;
  provDigest: string | null;
  provSize: number | null;
  updateLog: string;
  /** The uploader's username; null once that user is deleted. */
  uploadedBy: string | null;
  /** When the package the version holds now was uploaded (replacing it resets this). */
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
  reviewedAt: Date | null;
  /** When the version was (last) released to the store. */
  releasedAt: Date | null;
}

export interface VersionRow {
  id: number;
  app_id: number;
  version: string;
  app_version: string;
  state: VersionState;
  metadata: ChartMetadata;
  digest: string;
  size: number;
  prov_digest: string | null;
  prov_size: number | null;
  update_log: string;
  uploaded_by: string | null;
  created_at: Date;
  updated_at: Date;
  submitted_at: Date | null;
  reviewed_at: Date | null;
  released_at: Date | null;
}

/** The columns of a VersionRow: select them FROM VERSION_FROM (which names the version `v`). */
export const VERSION_COLUMNS = `v.id, v.app_id, v.version, v.app_version, v.state, v.metadata, v.digest, v.size, v.prov_digest,
  v.prov_size, v.update_log, u.username AS uploaded_by, v.created_at, v.updated_at, v.submitted_at, v.reviewed_at, v.released_at`;
export const VERSION_FROM = `app_versions v ${joinUser('v.uploaded_by')}`;

// What other modules ask of an app's versions, as conditions and values on the app
// `app` (an alias of apps) that they compose into their own queries.

/** The app holds an active version. */
export const activeVersionExists = (app: string): string =>
  `EXISTS (SELECT 1 FROM app_versions xv WHERE xv.app_id = ${app}.id AND xv.state = 'active')`;

/** When the app's newest active version was (last) released; null when none. */
export const lastReleasedAt = (app: string): string =>
  `(SELECT max(xv.released_at) FROM app_versions xv WHERE xv.app_id = ${app}.id AND xv.state = 'active')`;

/** The keywords of one of the app's active versions, lower-cased, are LIKE the parameter `pattern`. */
export const activeKeywordsLike = (app: string, pattern: string): string =>
  `EXISTS (SELECT 1 FROM app_versions xv WHERE xv.app_id = ${app}.id AND xv.state = 'active'
     AND lower(coalesce(xv.metadata->>'keywords', '')) LIKE ${pattern})`;

export async function countVersions(q: Queryable, appId: number): Promise<number> {
  const rows = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM app_versions WHERE app_id = $1', [appId]);
  return rows[0]?.n ?? 0;
}

export async function hasActiveVersion(q: Queryable, appId: number): Promise<boolean> {
  const rows = await q.query("SELECT 1 FROM app_versions WHERE app_id = $1 AND state = 'active' LIMIT 1", [appId]);
  return rows.length > 0;
}

/** How many of the workspace's apps hold a version. */
export async function countAppsWithVersions(q: Queryable, workspaceId: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `SELECT count(DISTINCT v.app_id)::int AS n FROM app_versions v ${joinApp('v.app_id')} WHERE a.workspace_id = $1`,
    [workspaceId],
  );
  return rows[0]?.n ?? 0;
}

/** The active versions of the apps (`a`) that `appCondition` picks, with its parameters. */
export async function listActiveVersions(
  q: Queryable,
  appCondition: string,
  params: unknown[] = [],
): Promise<AppVersion[]> {
  const rows = await q.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} ${joinApp('v.app_id')}
      WHERE v.state = 'active' AND ${appCondition}`,
    params,
  );
  return rows.map(toVersion);
}

export const toVersion = (r: VersionRow): AppVersion => ({
  id: r.id,
  appId: r.app_id,
  version: r.version,
  appVersion: r.app_version,
  state: r.state,
  metadata: r.metadata,
  digest: r.digest,
  size: r.size,
  provDigest: r.prov_digest,
  provSize: r.prov_size,
  updateLog: r.update_log,
  uploadedBy: r.uploaded_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  submittedAt: r.submitted_at,
  reviewedAt: r.reviewed_at,
  releasedAt: r.released_at,
});

/** A version with the Helm index entry time of the repository it is listed in. */
export type IndexedVersion = AppVersion & IndexVersion;

/** In a workspace (draft) repository an entry is `created` when its package was uploaded. */
export const inWorkspaceIndex = (v: AppVersion): IndexedVersion => ({ ...v, created: v.createdAt });

/** In the store an entry is `created` when it entered the store (its upload time if no release time was kept). */
export const inStoreIndex = (v: AppVersion): IndexedVersion => ({ ...v, created: v.releasedAt ?? v.createdAt });

/** Just what serving or signing a package file needs. */
export type PackageRef = Pick<AppVersion, 'id' | 'digest' | 'provDigest'>;

/** The narrow row a package download reads: the file's name and version, and what serves it. */
export interface PackageRow {
  name: string;
  version: string;
  id: number;
  digest: string;
  prov_digest: string | null;
}

export const toPackageRef = (r: PackageRow): PackageRef => ({ id: r.id, digest: r.digest, provDigest: r.prov_digest });

/** A version with the fields of its app that acting on it needs. */
export interface VersionInApp extends AppVersion {
  appName: string;
  appCategoryId: number | null;
}

export type VersionKey = { id: number } | { workspaceId: number; app: string; version: string };

// Run on every upload (its early conflict check): prepared once per connection on Postgres.
const VERSION_STATE = prepared(
  `SELECT v.id, v.state FROM app_versions v ${joinApp('v.app_id')}
    WHERE a.workspace_id = $1 AND a.name = $2 AND v.version = $3`,
);

/** Whether a version exists, and its state: what an upload checks before writing anything. */
export async function findVersionState(
  q: Queryable,
  key: { workspaceId: number; app: string; version: string },
): Promise<{ id: number; state: VersionState } | null> {
  const rows = await q.query<{ id: number; state: VersionState }>(VERSION_STATE, [
    key.workspaceId,
    key.app,
    key.version,
  ]);
  return rows[0] ?? null;
}

/**
 * Reads one version. With `forUpdate` (inside a transaction) it locks the version
 * row: every writer of a version takes this lock first, so two racing writers
 * serialise and the second sees what the first left.
 */
export async function findVersion(
  q: Queryable,
  key: VersionKey,
  opts: { forUpdate?: boolean } = {},
): Promise<VersionInApp | null> {
  const [where, params] =
    'id' in key
      ? ['v.id = $1', [key.id]]
      : ['a.workspace_id = $1 AND a.name = $2 AND v.version = $3', [key.workspaceId, key.app, key.version]];
  const rows = await q.query<VersionRow & { app_name: string; app_category_id: number | null }>(
    `SELECT ${VERSION_COLUMNS}, a.name AS app_name, a.category_id AS app_category_id
       FROM ${VERSION_FROM} ${joinApp('v.app_id')}
      WHERE ${where}${opts.forUpdate ? ' FOR UPDATE OF v' : ''}`,
    params,
  );
  const r = rows[0];
  return r ? { ...toVersion(r), appName: r.app_name, appCategoryId: r.app_category_id } : null;
}

/** An app's versions, newest first. */
export async function listVersionDetails(q: Queryable, appId: number): Promise<AppVersion[]> {
  const rows = await q.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE v.app_id = $1`, [appId]);
  return rows.map(toVersion).sort((a, b) => compareVersionsDesc(a.version, b.version));
}

/**
 * For each of these apps, how many versions it has and its newest by SemVer (in any
 * state): two queries for any number of apps, reading only the version numbers of the
 * others.
 */
export async function newestVersions(
  q: Queryable,
  appIds: readonly number[],
): Promise<Map<number, { count: number; newest: AppVersion }>> {
  const out = new Map<number, { count: number; newest: AppVersion }>();
  if (appIds.length === 0) return out;
  const all = await q.query<{ id: number; app_id: number; version: string }>(
    'SELECT id, app_id, version FROM app_versions WHERE app_id = ANY($1::int[])',
    [[...appIds]],
  );
  const best = new Map<number, { count: number; id: number; version: string }>();
  for (const v of all) {
    const b = best.get(v.app_id);
    if (!b) best.set(v.app_id, { count: 1, id: v.id, version: v.version });
    else {
      b.count++;
      if (compareVersionsDesc(v.version, b.version) < 0) Object.assign(b, { id: v.id, version: v.version });
    }
  }
  const rows = await q.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE v.id = ANY($1::int[])`, [
    [...best.values()].map((b) => b.id),
  ]);
  for (const row of rows) {
    const v = toVersion(row);
    out.set(v.appId, { count: best.get(v.appId)?.count ?? 1, newest: v });
  }
  return out;
}

export async function getVersionDetail(
  q: Queryable,
  appId: number,
  appName: string,
  version: string,
): Promise<AppVersion> {
  const rows = await q.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE v.app_id = $1 AND v.version = $2`,
    [appId, version],
  );
  if (!rows[0]) throw new AppError('not-found', `version ${version} of app ${JSON.stringify(appName)} not found`);
  return toVersion(rows[0]);
}

export interface VersionFiles {
  readme: string | null;
  valuesYaml: string | null;
  valuesSchema: string | null;
  chartYaml: string;
}

export async function getVersionFiles(q: Queryable, versionId: number): Promise<VersionFiles> {
  const files = await findVersionFiles(q, versionId);
  if (!files) throw new AppError('not-found', 'version not found');
  return files;
}

export async function findVersionFiles(q: Queryable, versionId: number): Promise<VersionFiles | null> {
  const rows = await q.query<{
    readme: string | null;
    values_yaml: string | null;
    values_schema: string | null;
    chart_yaml: string;
  }>('SELECT readme, values_yaml, values_schema, chart_yaml FROM app_versions WHERE id = $1', [versionId]);
  const r = rows[0];
  if (!r) return null;
  return { readme: r.readme, valuesYaml: r.values_yaml, valuesSchema: r.values_schema, chartYaml: r.chart_yaml };
}

export interface ReviewQuery {
  /** Passed or rejected versions, newest decision first; else submitted ones, newest first. */
  processed: boolean;
  /** Matched against app name and description, workspace name and version. */
  q?: string;
  limit: number;
  offset: number;
  /** The caller, whose membership of each item's workspace is returned with it. */
  userId: number;
}

export interface ReviewItem {
  version: AppVersion;
  app: AppRecord;
  workspace: string;
  readme: string | null;
  memberRole: WorkspaceRole | null;
  events: AuditEvent[];
}

/** A page of the review queue: three queries (versions, their apps, their events) however long the page. */
export async function listReviews(q: Queryable, query: ReviewQuery): Promise<{ items: ReviewItem[]; more: boolean }> {
  const params: unknown[] = [query.userId];
  let filter = query.processed ? "v.reviewed_at IS NOT NULL AND v.state <> 'submitted'" : "v.state = 'submitted'";
  if (query.q) {
    params.push(containsPattern(query.q));
    const p = `$${params.length}`;
    filter += ` AND (lower(a.name) LIKE ${p} OR lower(a.description) LIKE ${p} OR lower(w.name) LIKE ${p} OR lower(v.version) LIKE ${p})`;
  }
  const order = query.processed ? 'v.reviewed_at DESC, v.id DESC' : 'v.submitted_at DESC, v.id DESC';
  const rows = await q.query<
    VersionRow & { readme: string | null; workspace: string; member_role: WorkspaceRole | null }
  >(
    `SELECT ${VERSION_COLUMNS}, v.readme, w.name AS workspace, m.role AS member_role
       FROM ${VERSION_FROM} ${joinApp('v.app_id')} ${joinWorkspace('a.workspace_id')} ${joinMembership('$1')}
      WHERE ${filter} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.limit + 1, query.offset],
  );
  const page = rows.slice(0, query.limit);
  const apps = await listAppsByIds(
    q,
    page.map((r) => r.app_id),
  );
  const events = await listEventsOfVersions(
    q,
    page.map((r) => ({ appId: r.app_id, version: r.version })),
  );
  const items: ReviewItem[] = [];
  page.forEach((r, i) => {
    const app = apps.get(r.app_id);
    if (!app) return; // deleted between the two reads, as the old per-item lookup allowed too
    items.push({
      version: toVersion(r),
      app,
      workspace: r.workspace,
      readme: r.readme,
      memberRole: r.member_role,
      events: events[i] ?? [],
    });
  });
  return { items, more: rows.length > query.limit };
}
