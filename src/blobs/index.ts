import path from 'node:path';
import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { DiskBlobStore } from './disk-store.js';
import { S3BlobStore } from './s3-store.js';
import { CachingBlobStore } from './cache.js';

export type { BlobStore, BlobInfo } from './blob-store.js';
export { sha256Hex } from './blob-store.js';

export async function openBlobStore(cfg: Pick<Config, 's3' | 'dataDir'>): Promise<BlobStore> {
  const store = cfg.s3 ? await S3BlobStore.open(cfg.s3) : await DiskBlobStore.open(path.join(cfg.dataDir, 'blobs'));
  return new CachingBlobStore(store);
}
