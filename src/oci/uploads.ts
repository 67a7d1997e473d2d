// Blob upload sessions (oci_uploads, oci_upload_chunks) and blobs linked to a repository
// before a manifest names them (oci_blob_links). Chunks live in the database, so any
// replica can take the next PATCH; a finished upload becomes a blob in the blob store.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { ociError } from './oci.js';

export interface UploadSession {
  id: string;
  workspaceId: number;
  repository: string;
  size: number;
  updatedAt: Date;
}

interface UploadRow {
  id: string;
  workspace_id: number;
  repository: string;
  size: string | number;
  updated_at: Date;
}

const toSession = (r: UploadRow): UploadSession => ({
  id: r.id,
  workspaceId: r.workspace_id,
  repository: r.repository,
  size: Number(r.size),
  updatedAt: r.updated_at,
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function unknownUpload(id: string) {
  return ociError(
    'BLOB_UPLOAD_UNKNOWN',
    'not-found',
    `upload ${JSON.stringify(id)} is unknown (finished, cancelled or expired)`,
  );
}

export async function startUpload(q: Queryable, workspaceId: number, repository: string): Promise<UploadSession> {
  const rows = await q.query<UploadRow>(
    `INSERT INTO oci_uploads (id, workspace_id, repository) VALUES ($1, $2, $3)
     RETURNING id, workspace_id, repository, size, updated_at`,
    [randomUUID(), workspaceId, repository],
  );
  return toSession(rows[0]!);
}

/** The session of this repository with this id (locked when `forUpdate`), else BLOB_UPLOAD_UNKNOWN. */
export async function getUpload(
  q: Queryable,
  workspaceId: number,
  repository: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<UploadSession> {
  if (!UUID_RE.test(id)) throw unknownUpload(id);
  const rows = await q.query<UploadRow>(
    `SELECT id, workspace_id, repository, size, updated_at FROM oci_uploads
      WHERE id = $1 AND workspace_id = $2 AND repository = $3${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [id, workspaceId, repository],
  );
  if (!rows[0]) throw unknownUpload(id);
  return toSession(rows[0]);
}

/**
 * Appends bytes at `start` (the session's size: chunks arrive in order), keeping the
 * total within `maxBytes`. Inside a transaction, after getUpload(..., {forUpdate}).
 */
export async function appendChunk(
  q: Queryable,
  session: UploadSession,
  start: number,
  data: Buffer,
  maxBytes: number,
): Promise<UploadSession> {
  if (start !== session.size) {
    throw ociError(
      'BLOB_UPLOAD_INVALID',
      'range-not-satisfiable',
      `the chunk starts at byte ${start}, but the upload holds ${session.size} bytes: send the next chunk from byte ${session.size}`,
      { size: session.size },
    );
  }
  if (session.size + data.length > maxBytes) {
    throw ociError(
      'SIZE_INVALID',
      'upload-too-large',
      `the upload would hold ${session.size + data.length} bytes, more than the limit of ${maxBytes} (CHARTROOM_MAX_UPLOAD_BYTES)`,
    );
  }
  if (data.length > 0) {
    await q.query('INSERT INTO oci_upload_chunks (upload_id, start, data) VALUES ($1, $2, $3)', [
      session.id,
      start,
      data,
    ]);
  }
  const rows = await q.query<UploadRow>(
    `UPDATE oci_uploads SET size = size + $2, updated_at = now() WHERE id = $1
     RETURNING id, workspace_id, repository, size, updated_at`,
    [session.id, data.length],
  );
  return toSession(rows[0]!);
}

/** Every byte of the upload so far, in order. */
export async function uploadBytes(q: Queryable, session: UploadSession): Promise<Buffer> {
  const rows = await q.query<{ data: Uint8Array }>(
    'SELECT data FROM oci_upload_chunks WHERE upload_id = $1 ORDER BY start',
    [session.id],
  );
  return Buffer.concat(rows.map((r) => r.data));
}

export async function endUpload(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM oci_uploads WHERE id = $1', [id]);
}

/** Makes a blob readable in a repository before any manifest there names it. */
export async function linkBlob(
  q: Queryable,
  workspaceId: number,
  repository: string,
  digest: string,
  size: number,
): Promise<void> {
  await q.query(
    `INSERT INTO oci_blob_links (workspace_id, repository, digest, size) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, repository, digest) DO UPDATE SET created_at = now()`,
    [workspaceId, repository, digest, size],
  );
}

/** Whether the blob is linked to the repository. */
export async function blobLinked(
  q: Queryable,
  workspaceId: number,
  repository: string,
  digest: string,
): Promise<boolean> {
  const rows = await q.query(
    'SELECT 1 FROM oci_blob_links WHERE workspace_id = $1 AND repository = $2 AND digest = $3',
    [workspaceId, repository, digest],
  );
  return rows.length > 0;
}

/** Whether the repository holds pushed blobs or open upload sessions. */
export async function repositoryHasUploads(q: Queryable, workspaceId: number, repository: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM oci_blob_links WHERE workspace_id = $1 AND repository = $2
     UNION ALL SELECT 1 FROM oci_uploads WHERE workspace_id = $1 AND repository = $2 LIMIT 1`,
    [workspaceId, repository],
  );
  return rows.length > 0;
}

/**
 * Drops upload sessions idle since `before` and links older than it: the blobs they
 * kept become unreferenced, and the blob sweeper removes them once past its grace.
 */
export async function expireUploads(q: Queryable, before: Date): Promise<{ uploads: number; links: number }> {
  const uploads = await q.query('DELETE FROM oci_uploads WHERE updated_at < $1 RETURNING id', [before]);
  const links = await q.query('DELETE FROM oci_blob_links WHERE created_at < $1 RETURNING digest', [before]);
  return { uploads: uploads.length, links: links.length };
}
