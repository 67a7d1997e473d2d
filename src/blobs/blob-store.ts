// Chart packages, provenance files and icons are stored by the sha256 of their bytes,
// so identical uploads are kept once. Both implementations honour this contract and
// pass the same test suite (test/blobs/blob-store-suite.ts).
import { createHash } from 'node:crypto';

export interface BlobInfo {
  digest: string;
  size: number;
  modifiedAt: Date;
}

export interface BlobStore {
  readonly kind: 'disk' | 's3';
  /** Stores data under its digest. Idempotent; rejects when digest does not match data. */
  put(digest: string, data: Buffer): Promise<void>;
  /** The bytes, or null when no blob has this digest. */
  get(digest: string): Promise<Buffer | null>;
  has(digest: string): Promise<boolean>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(digest: string): Promise<void>;
  /** Every stored blob, in no particular order. */
  list(): AsyncIterable<BlobInfo>;
  /**
   * Removes what writes that never finished left behind (a crash between writing and
   * publishing a blob) when it was started before `startedBefore`; answers how many.
   */
  removeLeftovers(startedBefore: Date): Promise<number>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DIGEST_RE = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function assertDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(digest)}`);
}

export function assertDigestOf(digest: string, data: Buffer): void {
  assertDigest(digest);
  const actual = sha256Hex(data);
  if (actual !== digest) throw new Error(`blob digest mismatch: expected ${digest}, data has ${actual}`);
}
