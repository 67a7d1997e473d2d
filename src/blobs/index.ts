import path from 'node:path';
import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { CachingBlobStore } from './cache.js';

export type { BlobStore, BlobInfo } from './blob-store.js';
export { sha256Hex } from './blob-store.js';

export async function openBlobStore(cfg: Pick<Config, 's3' | 'dataDir'>): Promise<BlobStore> {
  // Each store is loaded only when used: the S3 client alone is a fifth of a second of
  // module loading that a server on local disk does not need.
  const store = cfg.s3
    ? await (await import('./s3-store.js')).S3BlobStore.open(cfg.s3)
    : await (await import('./disk-store.js')).DiskBlobStore.open(path.join(cfg.dataDir, 'blobs'));
  return new CachingBlobStore(store);
}
