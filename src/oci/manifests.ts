// Manifests of chart versions (oci_manifests). A version's chart manifest is the one
// pushed with it, or, for a version that arrived another way, one made from the version
// once and stored, so its digest never changes (fixed fields, sorted keys, the upload
// time as `created`). Artifacts referring to a chart manifest (signatures, SBOMs) are
// kept with its version. Bodies are stored byte for byte: a digest is of the bytes.
import type { Queryable } from '../db/database.js';
import type { ChartMetadata } from '../charts/metadata.js';
import { sha256Hex } from '../blobs/index.js';
import {
  HELM_CHART,
  HELM_CONFIG,
  HELM_PROV,
  OCI_INDEX,
  OCI_MANIFEST,
  ociDigest,
  ociError,
  parseDigest,
  type Descriptor,
} from './oci.js';

export interface StoredManifest {
  versionId: number;
  /** Hex sha256 of body. */
  digest: string;
  mediaType: string;
  artifactType: string | null;
  /** Hex digest of the chart manifest this one refers to; null for a chart manifest. */
  subject: string | null;
  /** The chart package a chart manifest was made for. */
  packageDigest: string | null;
  body: Buffer;
  /** Hex digests of the config and layers. */
  blobs: string[];
  annotations: Record<string, string> | null;
}

interface ManifestRow {
  version_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  package_digest: string | null;
  body: Uint8Array;
  blobs: string[];
  annotations: Record<string, string> | null;
}

const COLUMNS = 'version_id, digest, media_type, artifact_type, subject, package_digest, body, blobs, annotations';

const toManifest = (r: ManifestRow): StoredManifest => ({
  versionId: r.version_id,
  digest: r.digest,
  mediaType: r.media_type,
  artifactType: r.artifact_type,
  subject: r.subject,
  packageDigest: r.package_digest,
  body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
  blobs: r.blobs,
  annotations: r.annotations,
});

/** A version as its manifest needs it. */
export interface ManifestVersion {
  id: number;
  version: string;
  metadata: ChartMetadata;
  digest: string;
  size: number;
  provDigest: string | null;
  provSize: number | null;
  createdAt: Date;
}

// Helm writes the config as Go's encoding of its Chart.yaml metadata: these fields in
// this order, empty ones left out.
const CONFIG_FIELDS = [
  'name',
  'home',
  'sources',
  'version',
  'description',
  'keywords',
  'maintainers',
  'icon',
  'apiVersion',
  'condition',
  'tags',
  'appVersion',
  'deprecated',
  'annotations',
  'kubeVersion',
  'dependencies',
  'type',
];

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** The config blob Helm would push for this chart. */
export function chartConfig(meta: ChartMetadata): Buffer {
  const out: Record<string, unknown> = {};
  const m = meta as unknown as Record<string, unknown>;
  for (const key of CONFIG_FIELDS) if (!isEmpty(m[key])) out[key] = m[key];
  return Buffer.from(JSON.stringify(out));
}

/** A deterministic chart manifest for a version that arrived without one. */
export function makeChartManifest(v: ManifestVersion): { body: Buffer; config: Buffer } {
  const config = chartConfig(v.metadata);
  const layers: Descriptor[] = [{ mediaType: HELM_CHART, digest: ociDigest(v.digest), size: v.size }];
  if (v.provDigest && v.provSize !== null) {
    layers.push({ mediaType: HELM_PROV, digest: ociDigest(v.provDigest), size: v.provSize });
  }
  const annotations: Record<string, string> = {
    'org.opencontainers.image.created': v.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'org.opencontainers.image.title': v.metadata.name,
    'org.opencontainers.image.version': v.metadata.version,
  };
  if (v.metadata.description) annotations['org.opencontainers.image.description'] = v.metadata.description;
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : 1)));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: HELM_CONFIG, digest: ociDigest(sha256Hex(config)), size: config.length },
    layers,
    annotations: sorted,
  };
  return { body: Buffer.from(JSON.stringify(manifest)), config };
}

/** What a pushed manifest says, checked against the spec's shape. */
export interface ParsedManifest {
  mediaType: string;
  artifactType: string | null;
  config: Descriptor;
  layers: Descriptor[];
  subject: Descriptor | null;
  annotations: Record<string, string> | null;
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) {
    throw ociError('MANIFEST_INVALID', 'bad-request', `${where} is not a descriptor object`);
  }
  if (typeof d.mediaType !== 'string' || d.mediaType === '') {
    throw ociError('MANIFEST_INVALID', 'bad-request', `${where}.mediaType is missing`);
  }
  if (typeof d.digest !== 'string') throw ociError('MANIFEST_INVALID', 'bad-request', `${where}.digest is missing`);
  parseDigest(d.digest);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw ociError('MANIFEST_INVALID', 'bad-request', `${where}.size is not a non-negative integer`);
  }
  return d as Descriptor;
}

function stringMap(value: unknown, where: string): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw ociError('MANIFEST_INVALID', 'bad-request', `${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}

/** Parses an image manifest (Helm sends it without mediaType; then the header says it). */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw ociError('MANIFEST_INVALID', 'bad-request', 'the manifest is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw ociError('MANIFEST_INVALID', 'bad-request', 'the manifest is not a JSON object');
  }
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : type || OCI_MANIFEST;
  if (mediaType === OCI_INDEX || type === OCI_INDEX) {
    throw ociError(
      'MANIFEST_INVALID',
      'bad-request',
      'image indexes are not accepted: this registry holds Helm charts and artifacts referring to one',
    );
  }
  if (mediaType !== OCI_MANIFEST) {
    throw ociError(
      'MANIFEST_INVALID',
      'bad-request',
      `manifest media type ${JSON.stringify(mediaType)} is not accepted: only OCI image manifests (${OCI_MANIFEST}) of Helm charts and artifacts referring to one`,
    );
  }
  if (doc.schemaVersion !== 2) throw ociError('MANIFEST_INVALID', 'bad-request', 'schemaVersion must be 2');
  if (!Array.isArray(doc.layers)) throw ociError('MANIFEST_INVALID', 'bad-request', 'layers must be a list');
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') {
    throw ociError('MANIFEST_INVALID', 'bad-request', 'artifactType must be a string');
  }
  return {
    mediaType,
    artifactType: (doc.artifactType as string | undefined) ?? null,
    config: descriptor(doc.config, 'config'),
    layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
    subject: doc.subject === undefined || doc.subject === null ? null : descriptor(doc.subject, 'subject'),
    annotations: stringMap(doc.annotations, 'annotations'),
  };
}

/** The chart and provenance layers of a Helm chart manifest; anything else is refused. */
export function helmLayers(m: ParsedManifest): { chart: Descriptor; prov: Descriptor | null } {
  const refuse = (why: string) =>
    ociError(
      'MANIFEST_INVALID',
      'bad-request',
      `${why}: only Helm charts (config ${HELM_CONFIG}, one ${HELM_CHART} layer, optionally one ${HELM_PROV} layer) and artifacts referring to one (with a subject) are accepted`,
    );
  if (m.config.mediaType !== HELM_CONFIG) throw refuse(`config media type ${JSON.stringify(m.config.mediaType)}`);
  const charts = m.layers.filter((l) => l.mediaType === HELM_CHART);
  const provs = m.layers.filter((l) => l.mediaType === HELM_PROV);
  const other = m.layers.find((l) => l.mediaType !== HELM_CHART && l.mediaType !== HELM_PROV);
  if (other) throw refuse(`layer media type ${JSON.stringify(other.mediaType)}`);
  if (charts.length !== 1) throw refuse(`${charts.length} chart layers`);
  if (provs.length > 1) throw refuse(`${provs.length} provenance layers`);
  return { chart: charts[0]!, prov: provs[0] ?? null };
}

/**
 * Whether a stored chart manifest still matches its version: the same package, and its
 * provenance file when it has one (one added or replaced since makes a new manifest).
 */
function isCurrent(r: ManifestRow, v: ManifestVersion | undefined): boolean {
  return v !== undefined && v.digest === r.package_digest && (v.provDigest === null || r.blobs.includes(v.provDigest));
}

/** The stored chart manifests of these versions that still match them. */
export async function chartManifests(q: Queryable, versions: ManifestVersion[]): Promise<Map<number, StoredManifest>> {
  const out = new Map<number, StoredManifest>();
  if (versions.length === 0) return out;
  const rows = await q.query<ManifestRow>(
    `SELECT ${COLUMNS} FROM oci_manifests WHERE version_id = ANY($1::int[]) AND subject IS NULL`,
    [versions.map((v) => v.id)],
  );
  const byId = new Map(versions.map((v) => [v.id, v]));
  for (const r of rows) if (isCurrent(r, byId.get(r.version_id))) out.set(r.version_id, toManifest(r));
  return out;
}

/**
 * Deletes the chart manifests that no longer match their version (see isCurrent) and the
 * artifacts that referred to them; returns the blobs those named. A pull makes a current
 * manifest again. Run by the sweeper before it looks for unreferenced blobs: a replaced
 * version's old manifest would otherwise keep its old package (and signatures) for ever.
 */
export async function pruneStaleManifests(q: Queryable): Promise<{ manifests: number; blobs: string[] }> {
  const rows = await q.query<{ blobs: string[] }>(
    `WITH stale AS (
       DELETE FROM oci_manifests m USING app_versions v
        WHERE v.id = m.version_id AND m.subject IS NULL
          AND (m.package_digest IS DISTINCT FROM v.digest
               OR (v.prov_digest IS NOT NULL AND NOT m.blobs @> ARRAY[v.prov_digest]))
       RETURNING m.version_id, m.digest, m.blobs
     ), referrers AS (
       DELETE FROM oci_manifests r USING stale s WHERE r.version_id = s.version_id AND r.subject = s.digest
       RETURNING r.blobs
     )
     SELECT blobs FROM stale UNION ALL SELECT blobs FROM referrers`,
  );
  return { manifests: rows.length, blobs: [...new Set(rows.flatMap((r) => r.blobs))] };
}

/** A manifest of these versions by digest: a current chart manifest or a referrer. */
export async function findManifest(
  q: Queryable,
  versions: ManifestVersion[],
  digest: string,
): Promise<StoredManifest | null> {
  if (versions.length === 0) return null;
  const rows = await q.query<ManifestRow>(
    `SELECT ${COLUMNS} FROM oci_manifests WHERE version_id = ANY($1::int[]) AND digest = $2`,
    [versions.map((v) => v.id), digest],
  );
  const byId = new Map(versions.map((v) => [v.id, v]));
  const hit = rows.find((r) => r.subject !== null || isCurrent(r, byId.get(r.version_id)));
  return hit ? toManifest(hit) : null;
}

/** Artifacts of these versions that refer to the manifest `subject`. */
export async function listReferrers(q: Queryable, versionIds: number[], subject: string): Promise<StoredManifest[]> {
  if (versionIds.length === 0) return [];
  const rows = await q.query<ManifestRow>(
    `SELECT ${COLUMNS} FROM oci_manifests WHERE version_id = ANY($1::int[]) AND subject = $2 ORDER BY created_at, digest`,
    [versionIds, subject],
  );
  return rows.map(toManifest);
}

/** Whether a manifest of these versions names the blob. */
export async function manifestsNameBlob(q: Queryable, versionIds: number[], digest: string): Promise<boolean> {
  if (versionIds.length === 0) return false;
  const rows = await q.query(
    'SELECT 1 FROM oci_manifests WHERE version_id = ANY($1::int[]) AND blobs @> ARRAY[$2::text] LIMIT 1',
    [versionIds, digest],
  );
  return rows.length > 0;
}

/**
 * Stores a manifest. A chart manifest replaces the version's previous one (and the
 * artifacts that referred to that one); storing the same one again changes nothing.
 * Returns the manifest stored for the version (an earlier one wins a race).
 */
export async function saveManifest(q: Queryable, m: StoredManifest): Promise<void> {
  if (m.subject === null) {
    await q.query(
      `DELETE FROM oci_manifests WHERE version_id = $1 AND digest <> $2
         AND (subject IS NULL OR subject <> $2)`,
      [m.versionId, m.digest],
    );
  }
  await q.query(
    `INSERT INTO oci_manifests (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT DO NOTHING`,
    [
      m.versionId,
      m.digest,
      m.mediaType,
      m.artifactType,
      m.subject,
      m.packageDigest,
      m.body,
      m.blobs,
      m.annotations === null ? null : JSON.stringify(m.annotations),
    ],
  );
}

/** Removes an artifact (never a chart manifest: that is deleting the version). */
export async function deleteReferrer(q: Queryable, versionId: number, digest: string): Promise<void> {
  await q.query('DELETE FROM oci_manifests WHERE version_id = $1 AND digest = $2 AND subject IS NOT NULL', [
    versionId,
    digest,
  ]);
}

/** The digests a manifest's descriptors name, hex. */
export function namedBlobs(m: ParsedManifest): string[] {
  return [...new Set([m.config, ...m.layers].map((d) => parseDigest(d.digest)))];
}
