// A version as the API shows it, with its files and who uploaded it.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { ChartMetadata } from '../charts/ingest.js';
import type { VersionState } from '../lifecycle/state-machine.js';
import { compareVersionsDesc } from '../index/render.js';

export interface VersionDetail {
  id: number;
  appId: number;
  version: string;
  appVersion: string;
  state: VersionState;
  metadata: ChartMetadata;
  digest: string;
  size: number;
  provDigest: string | null;
  updateLog: string;
  uploadedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
  reviewedAt: Date | null;
  releasedAt: Date | null;
}

export interface VersionFiles {
  readme: string | null;
  valuesYaml: string | null;
  valuesSchema: string | null;
  chartYaml: string;
}

interface Row {
  id: number;
  app_id: number;
  version: string;
  app_version: string;
  state: VersionState;
  metadata: ChartMetadata;
  digest: string;
  size: number;
  prov_digest: string | null;
  update_log: string;
  uploaded_by: string | null;
  created_at: Date;
  updated_at: Date;
  submitted_at: Date | null;
  reviewed_at: Date | null;
  released_at: Date | null;
}

export const DETAIL_SELECT = `SELECT v.id, v.app_id, v.version, v.app_version, v.state, v.metadata, v.digest, v.size, v.prov_digest,
  v.update_log, u.username AS uploaded_by, v.created_at, v.updated_at, v.submitted_at, v.reviewed_at, v.released_at
  FROM app_versions v LEFT JOIN users u ON u.id = v.uploaded_by`;

export const toDetail = (r: Row): VersionDetail => ({
  id: r.id,
  appId: r.app_id,
  version: r.version,
  appVersion: r.app_version,
  state: r.state,
  metadata: r.metadata,
  digest: r.digest,
  size: r.size,
  provDigest: r.prov_digest,
  updateLog: r.update_log,
  uploadedBy: r.uploaded_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  submittedAt: r.submitted_at,
  reviewedAt: r.reviewed_at,
  releasedAt: r.released_at,
});

export async function listVersionDetails(q: Queryable, appId: number): Promise<VersionDetail[]> {
  const rows = await q.query<Row>(`${DETAIL_SELECT} WHERE v.app_id = $1`, [appId]);
  return rows.map(toDetail).sort((a, b) => compareVersionsDesc(a.version, b.version));
}

export async function getVersionDetail(q: Queryable, appId: number, appName: string, version: string): Promise<VersionDetail> {
  const rows = await q.query<Row>(`${DETAIL_SELECT} WHERE v.app_id = $1 AND v.version = $2`, [appId, version]);
  if (!rows[0]) throw new AppError('not-found', `version ${version} of app ${JSON.stringify(appName)} not found`);
  return toDetail(rows[0]);
}

export async function getVersionFiles(q: Queryable, versionId: number): Promise<VersionFiles> {
  const rows = await q.query<{ readme: string | null; values_yaml: string | null; values_schema: string | null; chart_yaml: string }>(
    'SELECT readme, values_yaml, values_schema, chart_yaml FROM app_versions WHERE id = $1',
    [versionId],
  );
  const r = rows[0];
  if (!r) throw new AppError('not-found', 'version not found');
  return { readme: r.readme, valuesYaml: r.values_yaml, valuesSchema: r.values_schema, chartYaml: r.chart_yaml };
}
