// The object-key layout, in one place for both stores:
//
//   blobs/sha256/<first two hex digits>/<64 hex digits>
//
// The two-digit fan-out keeps directories small on disk and spreads S3 prefixes.
import { assertDigest, DIGEST_RE } from './blob-store.js';

export const BLOB_PREFIX = 'blobs/sha256/';

export function blobKey(digest: string): string {
  assertDigest(digest);
  return `${BLOB_PREFIX}${digest.slice(0, 2)}/${digest}`;
}

/** The digest a key names, or null for keys that are not blobs (temp files, strays). */
export function digestFromKey(key: string): string | null {
  if (!key.startsWith(BLOB_PREFIX)) return null;
  const rest = key.slice(BLOB_PREFIX.length).split('/');
  if (rest.length !== 2) return null;
  const [fan, digest] = rest as [string, string];
  if (!DIGEST_RE.test(digest) || digest.slice(0, 2) !== fan) return null;
  return digest;
}
