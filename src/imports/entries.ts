// What each upstream version became in a repository's syncs: imported (with the version
// row), failed (with the reason and the digest it failed with) or skipped (the workspace
// already had it). Read once per sync; each outcome is written as it happens.
import type { Queryable } from '../db/database.js';
import { joinApp } from '../apps/apps.js';

export type EntryStatus = 'imported' | 'failed' | 'skipped';

export interface EntryRow {
  chart: string;
  version: string;
  status: EntryStatus;
  upstreamDigest: string | null;
  reason: string;
  versionId: number | null;
  goneUpstream: boolean;
  /** When this outcome was written. */
  updatedAt: Date;
}

const key = (chart: string, version: string) => `${chart}\u0000${version}`;

export async function loadEntries(q: Queryable, repoId: number): Promise<Map<string, EntryRow>> {
  const rows = await q.query<{
    chart: string;
    version: string;
    status: EntryStatus;
    upstream_digest: string | null;
    reason: string;
    version_id: number | null;
    gone_upstream: boolean;
    updated_at: Date;
  }>(
    `SELECT chart, version, status, upstream_digest, reason, version_id, gone_upstream, updated_at
       FROM import_entries WHERE repo_id = $1`,
    [repoId],
  );
  return new Map(
    rows.map((r) => [
      key(r.chart, r.version),
      {
        chart: r.chart,
        version: r.version,
        status: r.status,
        upstreamDigest: r.upstream_digest,
        reason: r.reason,
        versionId: r.version_id,
        goneUpstream: r.gone_upstream,
        updatedAt: r.updated_at,
      },
    ]),
  );
}

/** Every (chart, version) the workspace holds, however it arrived. */
export async function workspaceVersions(q: Queryable, workspaceId: number): Promise<Set<string>> {
  const rows = await q.query<{ name: string; version: string }>(
    `SELECT a.name, v.version FROM app_versions v ${joinApp('v.app_id')} WHERE a.workspace_id = $1`,
    [workspaceId],
  );
  return new Set(rows.map((r) => key(r.name, r.version)));
}

/** Records an upstream version's outcome (seen upstream again, so not gone). */
export async function saveEntry(
  q: Queryable,
  repoId: number,
  u: { chart: string; version: string; digest: string | null; source: string },
  status: EntryStatus,
  reason: string,
  versionId: number | null = null,
): Promise<void> {
  await q.query(
    `INSERT INTO import_entries (repo_id, chart, version, status, upstream_digest, source_url, reason, version_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (repo_id, chart, version) DO UPDATE SET status = EXCLUDED.status,
       upstream_digest = EXCLUDED.upstream_digest, source_url = EXCLUDED.source_url, reason = EXCLUDED.reason,
       version_id = COALESCE(EXCLUDED.version_id, import_entries.version_id), gone_upstream = false, updated_at = now()`,
    [repoId, u.chart, u.version, status, u.digest, u.source, reason, versionId],
  );
}

/** Marks imported versions upstream no longer lists; returns those newly gone (reported once). */
export async function markGone(
  q: Queryable,
  repoId: number,
  listed: ReadonlySet<string>,
): Promise<Array<{ chart: string; version: string }>> {
  const rows = await q.query<{ chart: string; version: string }>(
    "SELECT chart, version FROM import_entries WHERE repo_id = $1 AND status = 'imported' AND NOT gone_upstream",
    [repoId],
  );
  const gone = rows.filter((r) => !listed.has(key(r.chart, r.version)));
  if (gone.length > 0) {
    await q.query(
      `UPDATE import_entries SET gone_upstream = true, updated_at = now()
        WHERE repo_id = $1 AND (chart, version) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [repoId, gone.map((g) => g.chart), gone.map((g) => g.version)],
    );
  }
  return gone;
}
