// OCI repositories over chart versions. `workspaces/<ws>/<chart>` holds the workspace's
// versions of that chart in any state; `store/<chart>` exactly the store index's. A tag
// is a version (with "+" written "_"); a chart manifest's layer is the version's package
// blob, so one blob serves Helm repositories and OCI alike. A pushed chart is an upload
// like any other (createDraft: the same checks, lifecycle and audit event).
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { ensureBlob, releaseBlobs } from '../blobs/references.js';
import { sha256Hex } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { ingestChart } from '../charts/ingest.js';
import { createDraft, deleteVersion, listWorkspaceVersions } from '../versions/versions.js';
import type { AppVersion } from '../versions/app-versions.js';
import { listStoreVersions } from '../store/store.js';
import type { Actor } from '../lifecycle/state-machine.js';
import {
  chartManifests,
  deleteReferrer,
  findManifest,
  helmLayers,
  listReferrers,
  makeChartManifest,
  manifestsNameBlob,
  namedBlobs,
  parseManifest,
  saveManifest,
  type StoredManifest,
} from './manifests.js';
import { blobLinked, repositoryHasUploads } from './uploads.js';
import {
  HELM_CONFIG,
  MAX_MANIFEST_BYTES,
  isDigest,
  ociDigest,
  ociError,
  parseDigest,
  tagToVersion,
  TAG_RE,
  versionToTag,
} from './oci.js';

export type OciRepository =
  { kind: 'workspace'; workspaceId: number; workspaceName: string; chart: string } | { kind: 'store'; chart: string };

export const repositoryName = (r: OciRepository): string =>
  r.kind === 'workspace' ? `workspaces/${r.workspaceName}/${r.chart}` : `store/${r.chart}`;

export interface RegistryDeps {
  db: Database;
  blobs: BlobStore;
  maxUploadBytes: number;
}

/** The versions a repository shows. */
export async function repositoryVersions(q: Queryable, repo: OciRepository): Promise<AppVersion[]> {
  return repo.kind === 'workspace'
    ? listWorkspaceVersions(q, repo.workspaceId, [repo.chart])
    : listStoreVersions(q, [repo.chart]);
}

function nameUnknown(repo: OciRepository): AppError {
  return ociError('NAME_UNKNOWN', 'not-found', `repository ${repositoryName(repo)} is unknown`);
}

/** Tags of the repository in lexical order, paged by `last` and `n`. */
export async function listTags(
  db: Database,
  repo: OciRepository,
  page: { n?: number; last?: string },
): Promise<{ tags: string[]; more: boolean }> {
  const versions = await repositoryVersions(db, repo);
  if (versions.length === 0) {
    const pushed = repo.kind === 'workspace' && (await repositoryHasUploads(db, repo.workspaceId, repo.chart));
    if (!pushed) throw nameUnknown(repo);
  }
  let tags = versions.map((v) => versionToTag(v.version)).sort();
  if (page.last !== undefined) tags = tags.filter((t) => t > page.last!);
  // n=0 asks for no tags, and the spec wants no Link then (one would name the same page again).
  if (page.n === undefined) return { tags, more: false };
  return { tags: tags.slice(0, page.n), more: page.n > 0 && tags.length > page.n };
}

/** The version's chart manifest, made and stored the first time it is asked for. */
async function chartManifestOf(deps: RegistryDeps, v: AppVersion): Promise<StoredManifest> {
  const stored = (await chartManifests(deps.db, [v])).get(v.id);
  if (stored) return stored;
  const made = makeChartManifest(v);
  const configDigest = sha256Hex(made.config);
  await deps.blobs.put(configDigest, made.config);
  const blobs = [configDigest, v.digest, ...(v.provDigest ? [v.provDigest] : [])];
  await deps.db.tx(async (q) => {
    await ensureBlob(q, deps.blobs, configDigest, made.config);
    await saveManifest(q, {
      versionId: v.id,
      digest: sha256Hex(made.body),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: null,
      subject: null,
      packageDigest: v.digest,
      body: made.body,
      blobs,
      annotations: null,
    });
  });
  // A concurrent request (or replica) may have stored its own first: that one is kept.
  const now = (await chartManifests(deps.db, [v])).get(v.id);
  if (!now) throw new AppError('conflict', `the version ${v.version} changed while its manifest was made; try again`);
  return now;
}

/** A manifest by tag or digest. */
export async function getManifest(deps: RegistryDeps, repo: OciRepository, reference: string): Promise<StoredManifest> {
  const versions = await repositoryVersions(deps.db, repo);
  const unknown = () =>
    ociError('MANIFEST_UNKNOWN', 'not-found', `manifest ${reference} is unknown in repository ${repositoryName(repo)}`);
  if (!isDigest(reference)) {
    if (!TAG_RE.test(reference)) {
      throw ociError('MANIFEST_INVALID', 'bad-request', `${JSON.stringify(reference)} is not a tag`);
    }
    const v = versions.find((x) => x.version === tagToVersion(reference));
    if (!v) throw unknown();
    return chartManifestOf(deps, v);
  }
  const digest = parseDigest(reference);
  const hit = await findManifest(deps.db, versions, digest);
  if (hit) return hit;
  // Chart manifests are made on first demand: a digest can name one not stored here only
  // if the rows were restored without it or a client knows it from elsewhere, so make
  // the missing ones (once) and look again.
  const known = await chartManifests(deps.db, versions);
  for (const v of versions.filter((x) => !known.has(x.id))) {
    const made = await chartManifestOf(deps, v);
    if (made.digest === digest) return made;
  }
  throw unknown();
}

/**
 * Whether the repository may serve the blob: a version, a manifest or a push there names
 * it. `versions` are the repository's, when the caller has them already.
 */
export async function blobInRepository(
  db: Database,
  repo: OciRepository,
  digest: string,
  versions?: AppVersion[],
): Promise<boolean> {
  const shown = versions ?? (await repositoryVersions(db, repo));
  if (shown.some((v) => v.digest === digest || v.provDigest === digest)) return true;
  const ids = shown.map((v) => v.id);
  if (await manifestsNameBlob(db, ids, digest)) return true;
  return repo.kind === 'workspace' && blobLinked(db, repo.workspaceId, repo.chart, digest);
}

/** Artifacts referring to `subject` (hex) in the repository, optionally of one artifact type. */
export async function referrersOf(
  db: Database,
  repo: OciRepository,
  subject: string,
  artifactType?: string,
): Promise<StoredManifest[]> {
  const versions = await repositoryVersions(db, repo);
  const all = await listReferrers(
    db,
    versions.map((v) => v.id),
    subject,
  );
  return artifactType === undefined ? all : all.filter((m) => m.artifactType === artifactType);
}

export interface Pusher {
  userId: number | null;
  username: string;
}

/**
 * Stores a pushed manifest: a Helm chart becomes (or replaces) a draft version through
 * createDraft, an artifact with a subject is kept with the version it refers to.
 */
export async function putManifest(
  deps: RegistryDeps,
  repo: Extract<OciRepository, { kind: 'workspace' }>,
  reference: string,
  body: Buffer,
  contentType: string | undefined,
  who: Pusher,
): Promise<{ digest: string; subject: string | null; created: boolean }> {
  if (body.length > MAX_MANIFEST_BYTES) {
    throw ociError('SIZE_INVALID', 'upload-too-large', `a manifest may hold at most ${MAX_MANIFEST_BYTES} bytes`);
  }
  const digest = sha256Hex(body);
  const byDigest = isDigest(reference);
  if (byDigest && parseDigest(reference) !== digest) {
    throw ociError('DIGEST_INVALID', 'bad-request', `the manifest's digest is ${ociDigest(digest)}, not ${reference}`);
  }
  if (!byDigest && !TAG_RE.test(reference)) {
    throw ociError('MANIFEST_INVALID', 'bad-request', `${JSON.stringify(reference)} is not a valid tag`);
  }
  const m = parseManifest(body, contentType);
  const blobs = namedBlobs(m);
  const versions = await repositoryVersions(deps.db, repo);
  for (const d of [m.config, ...m.layers]) {
    const hex = parseDigest(d.digest);
    if (!(await blobInRepository(deps.db, repo, hex, versions)) || !(await deps.blobs.has(hex))) {
      throw ociError(
        'MANIFEST_BLOB_UNKNOWN',
        'bad-request',
        `blob ${d.digest} named by the manifest was not pushed to ${repositoryName(repo)}`,
        { digest: d.digest },
      );
    }
  }

  if (m.subject) {
    if (!byDigest) {
      throw ociError('MANIFEST_INVALID', 'bad-request', 'an artifact with a subject is pushed by digest, not by tag');
    }
    const subject = parseDigest(m.subject.digest);
    const target = await findManifest(deps.db, versions, subject);
    if (!target || target.subject !== null) {
      throw ociError(
        'MANIFEST_INVALID',
        'bad-request',
        `the subject ${m.subject.digest} is not a chart manifest in ${repositoryName(repo)}: only Helm charts and artifacts referring to one are accepted`,
      );
    }
    await deps.db.tx((q) =>
      saveManifest(q, {
        versionId: target.versionId,
        digest,
        mediaType: m.mediaType,
        artifactType: m.artifactType ?? m.config.mediaType,
        subject,
        packageDigest: null,
        body,
        blobs,
        annotations: m.annotations,
      }),
    );
    return { digest, subject, created: true };
  }

  const { chart, prov } = helmLayers(m);
  const chartBytes = await deps.blobs.get(parseDigest(chart.digest));
  const provBytes = prov ? await deps.blobs.get(parseDigest(prov.digest)) : null;
  const config = await deps.blobs.get(parseDigest(m.config.digest));
  if (!chartBytes || (prov && !provBytes) || !config) {
    throw ociError('MANIFEST_BLOB_UNKNOWN', 'bad-request', 'a blob the manifest names went away; push it again');
  }
  for (const [d, bytes] of [
    [chart, chartBytes],
    [m.config, config],
    ...(prov && provBytes ? [[prov, provBytes] as const] : []),
  ] as const) {
    if (d.size !== bytes.length) {
      throw ociError('MANIFEST_INVALID', 'bad-request', `${d.digest} is ${bytes.length} bytes, not ${d.size}`);
    }
  }
  let configDoc: unknown;
  try {
    configDoc = JSON.parse(config.toString('utf8'));
  } catch {
    throw ociError('MANIFEST_INVALID', 'bad-request', `the config blob (${HELM_CONFIG}) is not JSON`);
  }
  const pkg = await ingestChart(chartBytes, { maxUploadBytes: deps.maxUploadBytes });
  const { name, version } = pkg.metadata;
  // Clients read a chart's name and version from the config (helm show chart, registries'
  // UIs): it must say what the chart layer holds.
  const said = (configDoc ?? {}) as { name?: unknown; version?: unknown };
  if (said.name !== name || said.version !== version) {
    throw ociError(
      'MANIFEST_INVALID',
      'bad-request',
      `the config blob names ${JSON.stringify(said.name)} ${JSON.stringify(said.version)}, but the chart layer is ${name} ${version}`,
    );
  }
  if (name !== repo.chart) {
    throw ociError(
      'NAME_INVALID',
      'bad-request',
      `the chart is named ${JSON.stringify(name)}, but the repository is ${repositoryName(repo)}: push it to workspaces/${repo.workspaceName}/${name}`,
    );
  }
  if (!byDigest && reference !== versionToTag(version)) {
    throw ociError(
      'MANIFEST_INVALID',
      'bad-request',
      `the tag ${JSON.stringify(reference)} is not the chart's version ${JSON.stringify(version)} (tag ${JSON.stringify(versionToTag(version))})`,
    );
  }
  const existing = versions.find((v) => v.version === version);
  if (existing) {
    const current = (await chartManifests(deps.db, [existing])).get(existing.id);
    // The same manifest again (Helm puts it by digest, then by tag): nothing changes.
    if (current?.digest === digest) return { digest, subject: null, created: false };
  }
  const result = await createDraft(deps.db, deps.blobs, {
    workspaceId: repo.workspaceId,
    pkg,
    prov: provBytes,
    force: true,
    uploaderId: who.userId,
    actor: who.username,
    withinTx: async (q, upload) => {
      await saveManifest(q, {
        versionId: upload.versionId,
        digest,
        mediaType: m.mediaType,
        artifactType: m.artifactType,
        subject: null,
        packageDigest: pkg.digest,
        body,
        blobs,
        annotations: m.annotations,
      });
    },
  });
  return { digest, subject: null, created: result.created };
}

/** Deletes by tag or digest: a chart manifest is its version (the delete rule applies), an artifact just itself. */
export async function deleteManifest(
  deps: RegistryDeps,
  repo: Extract<OciRepository, { kind: 'workspace' }>,
  reference: string,
  who: Pusher & { actors: ReadonlySet<Actor> },
): Promise<void> {
  const versions = await repositoryVersions(deps.db, repo);
  const unknown = () =>
    ociError('MANIFEST_UNKNOWN', 'not-found', `manifest ${reference} is unknown in repository ${repositoryName(repo)}`);
  let version: AppVersion | undefined;
  if (isDigest(reference)) {
    const hit = await findManifest(deps.db, versions, parseDigest(reference));
    if (!hit) throw unknown();
    if (hit.subject !== null) {
      await deps.db.tx((q) => deleteReferrer(q, hit.versionId, hit.digest));
      // Its blobs go if nothing else names them.
      await releaseBlobs(deps.db, deps.blobs, hit.blobs);
      return;
    }
    version = versions.find((v) => v.id === hit.versionId);
  } else {
    version = versions.find((v) => v.version === tagToVersion(reference));
  }
  if (!version) throw unknown();
  const stored = await chartManifests(deps.db, [version]);
  const extra = [...(stored.get(version.id)?.blobs ?? [])];
  await deleteVersion(deps.db, deps.blobs, repo.workspaceId, repo.chart, version.version, who.username, who.actors);
  await releaseBlobs(deps.db, deps.blobs, extra);
}
