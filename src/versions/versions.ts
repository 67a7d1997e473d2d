// Chart versions of a workspace: storing uploads, listing them for the index and
// the ChartMuseum API, finding a package by file name, and deleting.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import type { ChartPackage } from '../charts/ingest.js';
import { packageFileName } from '../charts/ingest.js';
import { checkProvenanceFor } from '../charts/provenance.js';
import {
  candidateColumns,
  firstFound,
  pairKey,
  parsePackageFileName,
  type PackageFileName,
} from '../charts/package-file-name.js';
import { sha256Hex } from '../blobs/index.js';
import { requireAllowed, type Actor, type VersionState } from '../lifecycle/state-machine.js';
import { bumpWorkspaceRevision } from '../workspaces/workspaces.js';
import { touchIndex } from '../index/repo-index.js';
import { UPLOADER } from './transitions.js';
import { recordEvent } from '../lifecycle/audit.js';
import { ensureBlob, releaseBlobs, txReleasing } from '../blobs/references.js';
import { appInfoFromChart } from '../apps/app-info.js';
import { ensureApp, joinApp } from '../apps/apps.js';
import {
  findVersion,
  findVersionState,
  inWorkspaceIndex,
  toVersion,
  VERSION_COLUMNS,
  VERSION_FROM,
  type IndexedVersion,
  type PackageRef,
  type PackageRow,
  toPackageRef,
  type VersionRow,
} from './app-versions.js';

export interface UploadInput {
  workspaceId: number;
  pkg: ChartPackage;
  prov: Buffer | null;
  /** Replace an existing draft (or rejected) version of the same number. */
  force: boolean;
  uploaderId: number | null;
  /** Username for the audit trail. */
  actor: string;
  updateLog?: string;
  /** Only accept this chart name (uploads addressed to an existing app). */
  expectName?: string;
  /** Only replace an existing version; never create one (PUT .../package). */
  replaceOnly?: boolean;
  /** The audit event of a new version, when it is not a plain upload (an import names its source). */
  event?: { action: string; message: string };
  /** Runs in the upload's transaction once the version row is written (e.g. to store its OCI manifest). */
  withinTx?: (q: Queryable, result: UploadResult) => Promise<void>;
}

export interface UploadResult {
  appId: number;
  versionId: number;
  created: boolean;
}

function versionExists(name: string, version: string): AppError {
  return new AppError('version-exists', `${name}-${version}.tgz already exists in this workspace`);
}

/** Stores an uploaded chart: blobs first, then one transaction for the rows. */
export async function createDraft(db: Database, blobs: BlobStore, input: UploadInput): Promise<UploadResult> {
  const { pkg } = input;
  const { name, version } = pkg.metadata;
  if (input.expectName !== undefined && input.expectName !== name) {
    throw new AppError(
      'chart-invalid',
      `the chart is named ${JSON.stringify(name)}, but this is app ${JSON.stringify(input.expectName)}`,
    );
  }
  const appInfo = appInfoFromChart(pkg.metadata); // only what PATCH would accept becomes app info
  const fileName = packageFileName(pkg.metadata);
  let provDigest: string | null = null;
  if (input.prov) {
    checkProvenanceFor(input.prov, fileName, pkg.digest);
    provDigest = sha256Hex(input.prov);
  }

  // Cheap early answer for the common conflict, before any blob is written.
  const existing = await findVersionState(db, { workspaceId: input.workspaceId, app: name, version });
  if (existing) await checkReplaceable(db, existing, input.force, name, version);
  else if (input.replaceOnly) {
    throw new AppError('not-found', `version ${version} of app ${JSON.stringify(name)} not found`);
  } else {
    const twin = await packageFileTwin(db, 'a.workspace_id = $1', [input.workspaceId], name, version);
    if (twin) throw fileNameTaken('version-exists', 'in this workspace', { name, version }, twin);
  }

  const written: string[] = [];
  try {
    await blobs.put(pkg.digest, pkg.bytes);
    written.push(pkg.digest);
    if (input.prov && provDigest) {
      await blobs.put(provDigest, input.prov);
      written.push(provDigest);
    }
    const result = await txReleasing(db, blobs, async (q, release) => {
      await ensureBlob(q, blobs, pkg.digest, pkg.bytes);
      if (input.prov && provDigest) await ensureBlob(q, blobs, provDigest, input.prov);
      const appId = await ensureApp(q, input.workspaceId, name, appInfo);
      const values = [
        pkg.metadata.appVersion ?? '',
        JSON.stringify(pkg.metadata),
        pkg.digest,
        pkg.size,
        provDigest,
        input.prov ? input.prov.length : null,
        pkg.readme,
        pkg.valuesYaml,
        pkg.valuesSchema,
        pkg.chartYaml,
        input.updateLog ?? '',
        input.uploaderId,
      ];
      // A new version is the common case: one statement. A version uploaded meanwhile
      // (by a concurrent request) makes the insert do nothing and takes the replace path.
      const inserted = await q.query<{ id: number }>(
        `INSERT INTO app_versions (app_version, metadata, digest, size, prov_digest, prov_size, readme, values_yaml,
           values_schema, chart_yaml, update_log, uploaded_by, app_id, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (app_id, version) DO NOTHING RETURNING id`,
        [...values, appId, version],
      );
      let outcome: UploadResult;
      if (inserted[0]) {
        await recordEvent(q, {
          appId,
          version,
          actor: input.actor,
          action: input.event?.action ?? 'upload',
          to: 'draft',
          message: input.event?.message ?? input.updateLog ?? '',
        });
        outcome = { appId, versionId: inserted[0].id, created: true };
      } else {
        const row = await findVersion(q, { workspaceId: input.workspaceId, app: name, version }, { forUpdate: true });
        if (!row) throw new Error(`version ${name} ${version} neither inserted nor found`);
        await checkReplaceable(q, row, input.force, name, version);
        await q.query(
          `UPDATE app_versions SET app_version = $1, metadata = $2, digest = $3, size = $4, prov_digest = $5,
             prov_size = $6, readme = $7, values_yaml = $8, values_schema = $9, chart_yaml = $10,
             update_log = $11, uploaded_by = $12, state = 'draft', updated_at = now(), created_at = now()
           WHERE id = $13`,
          [...values, row.id],
        );
        for (const old of [row.digest, row.provDigest]) {
          if (old !== pkg.digest && old !== provDigest) release(old);
        }
        await recordEvent(q, {
          appId,
          version,
          actor: input.actor,
          action: 'replace',
          from: row.state,
          to: 'draft',
          message: `package ${pkg.digest}${provDigest ? `, provenance file ${provDigest}` : ''}`,
        });
        outcome = { appId, versionId: row.id, created: false };
      }
      if (input.withinTx) await input.withinTx(q, outcome);
      // Last, so the workspace row (which serialises index writers of the workspace) is
      // locked only for the end of the transaction.
      await touchIndex(q, { workspaceId: input.workspaceId }, await bumpWorkspaceRevision(q, input.workspaceId), [
        name,
      ]);
      if (outcome.created) {
        const twin = await packageFileTwin(q, 'a.workspace_id = $1', [input.workspaceId], name, version);
        if (twin) throw fileNameTaken('version-exists', 'in this workspace', { name, version }, twin);
      }
      return outcome;
    });
    return result;
  } catch (err) {
    await releaseBlobs(db, blobs, written);
    throw err;
  }
}

/**
 * Refuses to replace a version an imported repository owns: the next sync could not
 * tell which bytes are upstream's. (Read here, not through src/imports, which builds on
 * this module.)
 */
async function refuseIfImported(q: Queryable, version: { id: number; name: string; version: string }): Promise<void> {
  const rows = await q.query<{ name: string }>(
    `SELECT r.name FROM import_entries e JOIN import_repos r ON r.id = e.repo_id
      WHERE e.version_id = $1 AND e.status = 'imported' LIMIT 1`,
    [version.id],
  );
  const repo = rows[0]?.name;
  if (repo !== undefined) {
    throw new AppError(
      'version-imported',
      `${version.name} ${version.version} was imported from repository ${JSON.stringify(repo)} and cannot be replaced by an upload; delete the version first, or publish a new version`,
      { repository: repo },
    );
  }
}

async function checkReplaceable(
  q: Queryable,
  existing: { id: number; state: VersionState },
  force: boolean,
  name: string,
  version: string,
): Promise<void> {
  if (!force) throw versionExists(name, version);
  requireAllowed('replace', existing.state, UPLOADER, { version: `${name} ${version}`, file: 'package' });
  await refuseIfImported(q, { id: existing.id, name, version });
}

/** The workspace's versions, of every chart or of the named ones, as its repository index lists them. */
export async function listWorkspaceVersions(
  q: Queryable,
  workspaceId: number,
  names?: string[],
): Promise<IndexedVersion[]> {
  const rows = await q.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} ${joinApp('v.app_id')}
      WHERE a.workspace_id = $1 AND ($2::text[] IS NULL OR a.name = ANY($2))`,
    [workspaceId, names ?? null],
  );
  return rows.map((r) => inWorkspaceIndex(toVersion(r)));
}

export interface PackageFileHit {
  version: PackageRef;
  prov: boolean;
}

/** The package a parsed file name's candidate (name, version) pairs find among the versions `where` picks. */
async function findPackages(
  q: Queryable,
  where: string,
  params: unknown[],
  files: Iterable<PackageFileName>,
): Promise<Map<string, PackageRef>> {
  const { names, versions } = candidateColumns(files);
  // Only what serving a file needs (every download runs this): no metadata, no uploader.
  const rows = await q.query<PackageRow>(
    `SELECT c.name, c.version, v.id, v.digest, v.prov_digest
       FROM unnest($${params.length + 1}::text[], $${params.length + 2}::text[]) AS c(name, version)
       JOIN app_versions v ON v.version = c.version ${joinApp('v.app_id')}
      WHERE a.name = c.name AND ${where}`,
    [...params, names, versions],
  );
  return new Map(rows.map((r): [string, PackageRef] => [pairKey(r.name, r.version), toPackageRef(r)]));
}

/**
 * The versions that package file names "<name>-<version>.tgz[.prov]" stand for in a
 * workspace, by file name. One query however many names and splits there are (none
 * when no name could be a chart's), so a crafted name costs no more than a real one.
 */
export async function findPackagesByFiles(
  q: Queryable,
  workspaceId: number,
  files: Iterable<string>,
): Promise<Map<string, PackageFileHit>> {
  const parsed = new Map<string, PackageFileName>();
  for (const file of files) {
    const p = parsePackageFileName(file);
    if (p) parsed.set(file, p);
  }
  const out = new Map<string, PackageFileHit>();
  if (parsed.size === 0) return out;
  const found = await findPackages(q, 'a.workspace_id = $1', [workspaceId], parsed.values());
  for (const [file, p] of parsed) {
    const version = firstFound(p, found);
    if (version) out.set(file, { version, prov: p.prov });
  }
  return out;
}

/**
 * Inside a write's transaction, after the lock that serialises the repository's writers:
 * another version among those `where` picks whose package file name is this version's
 * too. Chart "a" 1.0.0-1.0.0 and chart "a-1.0.0" 1.0.0 are both "a-1.0.0-1.0.0.tgz", and
 * Helm fetches packages by that name, so one repository can hold only one of them. No
 * query unless the file name splits more than one way.
 */
export async function packageFileTwin(
  q: Queryable,
  where: string,
  params: unknown[],
  name: string,
  version: string,
): Promise<{ name: string; version: string } | null> {
  const parsed = parsePackageFileName(packageFileName({ name, version }));
  const others = (parsed?.candidates ?? []).filter((c) => c.name !== name || c.version !== version);
  if (others.length === 0) return null;
  const found = await findPackages(q, where, params, [{ candidates: others, prov: false }]);
  return others.find((c) => found.has(pairKey(c.name, c.version))) ?? null;
}

/** The refusal of a version whose package file name another one has (see packageFileTwin). */
export function fileNameTaken(
  code: 'version-exists' | 'conflict',
  where: string,
  mine: { name: string; version: string },
  twin: { name: string; version: string },
): AppError {
  return new AppError(
    code,
    `${packageFileName(mine)} already exists ${where}: it is chart ${JSON.stringify(twin.name)} version ${twin.version}, and Helm finds packages by file name, so the two cannot be told apart`,
  );
}

/**
 * The active version a package file name stands for among the apps (`a`) that
 * `appCondition` picks (the store's): one query at most, none for a name no chart could have.
 */
export async function findActivePackageByFile(
  q: Queryable,
  appCondition: string,
  file: string,
): Promise<PackageFileHit | null> {
  const parsed = parsePackageFileName(file);
  if (!parsed) return null;
  const found = await findPackages(q, `v.state = 'active' AND ${appCondition}`, [], [parsed]);
  const version = firstFound(parsed, found);
  return version ? { version, prov: parsed.prov } : null;
}

/** The version a file name "<name>-<version>.tgz[.prov]" names in a workspace. */
export async function findPackageByFile(
  q: Queryable,
  workspaceId: number,
  file: string,
): Promise<PackageFileHit | null> {
  return (await findPackagesByFiles(q, workspaceId, [file])).get(file) ?? null;
}

/**
 * Deletes a version when `actors` (the caller's) may and its state allows, then its
 * blobs if unused. Every route that deletes a version comes here.
 */
export async function deleteVersion(
  db: Database,
  blobs: BlobStore,
  workspaceId: number,
  name: string,
  version: string,
  actor: string,
  actors: ReadonlySet<Actor>,
): Promise<void> {
  requireAllowed('delete', null, actors);
  await txReleasing(db, blobs, async (q, release) => {
    await touchIndex(q, { workspaceId }, await bumpWorkspaceRevision(q, workspaceId), [name]);
    const row = await findVersion(q, { workspaceId, app: name, version }, { forUpdate: true });
    if (!row) throw new AppError('not-found', `chart ${name} version ${version} not found`);
    requireAllowed('delete', row.state, actors, { version: `${name} ${version}` });
    await q.query('DELETE FROM app_versions WHERE id = $1', [row.id]);
    await recordEvent(q, { appId: row.appId, version, actor, action: 'delete', from: row.state, to: 'removed' });
    release(row.digest);
    release(row.provDigest);
  });
}
