// Blobs are shared by digest, so one is deleted only when no row references it.
// Uploads and deletions of the same digest serialise on a transaction-scoped
// advisory lock, so a deletion can never remove a blob an upload is about to use.
import type { Database, Queryable } from '../db/database.js';
import { sha256Hex, type BlobStore } from './index.js';

export async function lockDigest(q: Queryable, digest: string): Promise<void> {
  await q.query("SELECT pg_advisory_xact_lock(hashtext('blob:' || $1))", [digest]);
}

/**
 * Whether any row points at the blob. The one query that names other aggregates'
 * tables by design: versions, apps, categories and oci all store blobs through this module,
 * so it cannot import their fragments (that would be an import cycle). A new column
 * that holds a digest must be added here too, to referencedAmong and to listBlobReferences.
 */
export async function blobReferenced(q: Queryable, digest: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM app_versions WHERE digest = $1 OR prov_digest = $1
     UNION ALL SELECT 1 FROM apps WHERE icon_digest = $1
     UNION ALL SELECT 1 FROM categories WHERE icon_digest = $1
     UNION ALL SELECT 1 FROM oci_manifests WHERE blobs @> ARRAY[$1::text]
     UNION ALL SELECT 1 FROM oci_blob_links WHERE digest = $1 LIMIT 1`,
    [digest],
  );
  return rows.length > 0;
}

/** One row's use of a blob, as the consistency check (check.ts) reports it. */
export interface BlobReference {
  digest: string;
  /** The blob's length as the row records it; null where the row records none. */
  size: number | null;
  /** The row, for people: "app demo/redis 17.11.6 package". */
  what: string;
}

interface ReferenceRow {
  digest: string;
  size: number | null;
  what: string;
}

interface ManifestRow {
  version_id: number;
  digest: string;
  body: Uint8Array;
  blobs: string[];
  what: string;
}

/** Manifests read at a time: their bodies are small, but there is one or more per version. */
const MANIFEST_BATCH = 500;

/**
 * Every reference to a blob, from the same columns blobReferenced reads (a new column
 * that holds a digest must be added to all three). OCI manifests record their blobs' sizes
 * only in their bodies, so those are read here in batches rather than in SQL, where one
 * unreadable body would fail the whole listing.
 */
export async function listBlobReferences(q: Queryable): Promise<BlobReference[]> {
  const version = `'app ' || w.name || '/' || a.name || ' ' || v.version`;
  const out: BlobReference[] = await q.query<ReferenceRow>(
    `SELECT v.digest, v.size::float8 AS size, ${version} || ' package' AS what
       FROM app_versions v JOIN apps a ON a.id = v.app_id JOIN workspaces w ON w.id = a.workspace_id
     UNION ALL
     SELECT v.prov_digest, v.prov_size::float8, ${version} || ' provenance'
       FROM app_versions v JOIN apps a ON a.id = v.app_id JOIN workspaces w ON w.id = a.workspace_id
      WHERE v.prov_digest IS NOT NULL
     UNION ALL
     SELECT a.icon_digest, NULL, 'app ' || w.name || '/' || a.name || ' icon'
       FROM apps a JOIN workspaces w ON w.id = a.workspace_id WHERE a.icon_digest IS NOT NULL
     UNION ALL
     SELECT c.icon_digest, NULL, 'category ' || c.name || ' icon' FROM categories c WHERE c.icon_digest IS NOT NULL
     UNION ALL
     SELECT l.digest, l.size::float8, 'OCI blob link in workspaces/' || w.name || '/' || l.repository
       FROM oci_blob_links l JOIN workspaces w ON w.id = l.workspace_id`,
  );
  let after: [number, string] = [-1, ''];
  for (;;) {
    const rows = await q.query<ManifestRow>(
      `SELECT m.version_id, m.digest, m.body, m.blobs, ${version} || ' OCI manifest sha256:' || m.digest AS what
         FROM oci_manifests m JOIN app_versions v ON v.id = m.version_id
         JOIN apps a ON a.id = v.app_id JOIN workspaces w ON w.id = a.workspace_id
        WHERE (m.version_id, m.digest) > ($1, $2)
        ORDER BY m.version_id, m.digest LIMIT ${MANIFEST_BATCH}`,
      after,
    );
    for (const m of rows) {
      const sizes = descriptorSizes(m.body);
      for (const digest of m.blobs) out.push({ digest, size: sizes.get(digest) ?? null, what: m.what });
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < MANIFEST_BATCH) return out;
    after = [last.version_id, last.digest];
  }
}

/** The sizes a manifest's config and layer descriptors give their sha256 blobs. */
function descriptorSizes(body: Uint8Array): Map<string, number> {
  const sizes = new Map<string, number>();
  let doc: { config?: unknown; layers?: unknown };
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8')) as typeof doc;
  } catch {
    return sizes; // the check then verifies the digest alone
  }
  const layers = Array.isArray(doc.layers) ? doc.layers : [];
  for (const d of [doc.config, ...layers] as Array<{ digest?: unknown; size?: unknown } | undefined>) {
    if (typeof d?.digest === 'string' && d.digest.startsWith('sha256:') && typeof d.size === 'number') {
      sizes.set(d.digest.slice('sha256:'.length), d.size);
    }
  }
  return sizes;
}

/** Inside a transaction of its own: deletes the blob when nothing references it any more. */
async function deleteIfUnreferenced(q: Queryable, blobs: BlobStore, digest: string): Promise<boolean> {
  await lockDigest(q, digest);
  if (await blobReferenced(q, digest)) return false;
  await blobs.delete(digest);
  return true;
}

/**
 * The blobs go unless something else uses them: after a failed write, the ones it
 * stored; after a committed one, the ones its rows stopped using.
 */
export async function releaseBlobs(db: Database, blobs: BlobStore, digests: Iterable<string>): Promise<void> {
  for (const d of digests) {
    await db.tx((q) => deleteIfUnreferenced(q, blobs, d)).catch(() => undefined); // the sweeper retries later
  }
}

/**
 * A transaction whose rows may stop using blobs: `fn` names each with `release`, and
 * once the transaction has committed, each named blob goes if nothing references it
 * any more. Never before the commit: a transaction that then rolls back (a deadlock, a
 * lost connection, a later statement failing) would leave a row pointing at a deleted
 * blob. An upload of the same digest meanwhile is safe either way: it takes the
 * digest's lock and puts the blob back if it is gone (ensureBlob).
 */
export async function txReleasing<T>(
  db: Database,
  blobs: BlobStore,
  fn: (q: Queryable, release: (digest: string | null | undefined) => void) => Promise<T>,
): Promise<T> {
  const released = new Set<string>();
  const result = await db.tx((q) => {
    released.clear();
    return fn(q, (digest) => {
      if (digest) released.add(digest);
    });
  });
  await releaseBlobs(db, blobs, released);
  return result;
}

/** Inside a transaction, before inserting a row that references the blob: makes
 * sure the blob (stored before the transaction) is still there. */
export async function ensureBlob(q: Queryable, blobs: BlobStore, digest: string, bytes: Buffer): Promise<void> {
  await lockDigest(q, digest);
  if (!(await blobs.has(digest))) await blobs.put(digest, bytes);
}

/** Blobs the sweep checks with one query (a listing page of S3 is 1,000). */
const SWEEP_BATCH = 500;

/**
 * Which of these digests a row points at, in one query over the same columns as
 * blobReferenced (a new column that holds a digest must be added here too).
 */
export async function referencedAmong(q: Queryable, digests: string[]): Promise<Set<string>> {
  const rows = await q.query<{ digest: string }>(
    `SELECT digest FROM app_versions WHERE digest = ANY($1::text[])
     UNION SELECT prov_digest FROM app_versions WHERE prov_digest = ANY($1::text[])
     UNION SELECT icon_digest FROM apps WHERE icon_digest = ANY($1::text[])
     UNION SELECT icon_digest FROM categories WHERE icon_digest = ANY($1::text[])
     UNION SELECT b FROM oci_manifests m, unnest(m.blobs) AS b WHERE m.blobs && $1::text[] AND b = ANY($1::text[])
     UNION SELECT digest FROM oci_blob_links WHERE digest = ANY($1::text[])`,
    [digests],
  );
  return new Set(rows.map((r) => r.digest));
}

/**
 * Deletes unreferenced blobs older than the grace period (uploads in flight are younger),
 * and what crashed writes left in the store (temp files, incomplete multipart uploads)
 * once they too are older than the grace period. The listing is checked a batch at a
 * time in one query, so a sweep of 100,000 referenced blobs costs 200 queries, not
 * 100,000 transactions; only the candidates it finds are re-checked under the digest's
 * lock and deleted.
 */
export async function sweepOrphanBlobs(
  db: Database,
  blobs: BlobStore,
  graceSeconds: number,
  now = new Date(),
  batchSize = SWEEP_BATCH,
): Promise<{ blobs: number; leftovers: number }> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  let removed = 0;
  const sweepBatch = async (digests: string[]) => {
    const referenced = await referencedAmong(db, digests);
    for (const digest of digests) {
      if (referenced.has(digest)) continue;
      if (await db.tx((q) => deleteIfUnreferenced(q, blobs, digest))) removed++;
    }
  };
  let batch: string[] = [];
  for await (const b of blobs.list()) {
    if (b.modifiedAt > cutoff) continue;
    batch.push(b.digest);
    if (batch.length === batchSize) {
      await sweepBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await sweepBatch(batch);
  // After the orphans, so that a store failing at this never keeps them.
  const leftovers = await blobs.removeLeftovers(cutoff);
  return { blobs: removed, leftovers };
}

/**
 * Stores `bytes` as a blob and points a row at it in one transaction (`update`),
 * then drops the blob it replaced when nothing else uses it. Used for icons.
 */
export async function swapBlob(
  db: Database,
  blobs: BlobStore,
  bytes: Buffer,
  previous: string | null,
  update: (q: Queryable, digest: string) => Promise<void>,
): Promise<string> {
  const digest = sha256Hex(bytes);
  await blobs.put(digest, bytes);
  try {
    await txReleasing(db, blobs, async (q, release) => {
      await ensureBlob(q, blobs, digest, bytes);
      await update(q, digest);
      if (previous !== digest) release(previous);
    });
  } catch (err) {
    await releaseBlobs(db, blobs, [digest]);
    throw err;
  }
  return digest;
}
