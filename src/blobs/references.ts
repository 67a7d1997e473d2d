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
 * that holds a digest must be added here too.
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

/** Inside a transaction: deletes the blob when nothing references it any more. */
export async function deleteIfUnreferenced(q: Queryable, blobs: BlobStore, digest: string): Promise<boolean> {
  await lockDigest(q, digest);
  if (await blobReferenced(q, digest)) return false;
  await blobs.delete(digest);
  return true;
}

/** Cleans up after a failed write: the blobs it stored go unless something else uses them. */
export async function releaseBlobs(db: Database, blobs: BlobStore, digests: string[]): Promise<void> {
  for (const d of digests) {
    await db.tx((q) => deleteIfUnreferenced(q, blobs, d)).catch(() => undefined); // the sweeper retries later
  }
}

/** Inside a transaction, before inserting a row that references the blob: makes
 * sure the blob (stored before the transaction) is still there. */
export async function ensureBlob(q: Queryable, blobs: BlobStore, digest: string, bytes: Buffer): Promise<void> {
  await lockDigest(q, digest);
  if (!(await blobs.has(digest))) await blobs.put(digest, bytes);
}

/**
 * Deletes unreferenced blobs older than the grace period (uploads in flight are younger),
 * and what crashed writes left in the store (temp files, incomplete multipart uploads)
 * once they too are older than the grace period.
 */
export async function sweepOrphanBlobs(
  db: Database,
  blobs: BlobStore,
  graceSeconds: number,
  now = new Date(),
): Promise<{ blobs: number; leftovers: number }> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  let removed = 0;
  for await (const b of blobs.list()) {
    if (b.modifiedAt > cutoff) continue;
    if (await db.tx((q) => deleteIfUnreferenced(q, blobs, b.digest))) removed++;
  }
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
    await db.tx(async (q) => {
      await ensureBlob(q, blobs, digest, bytes);
      await update(q, digest);
      if (previous && previous !== digest) await deleteIfUnreferenced(q, blobs, previous);
    });
  } catch (err) {
    await releaseBlobs(db, blobs, [digest]);
    throw err;
  }
  return digest;
}
