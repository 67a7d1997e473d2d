// The shared blob-store suite against a real MinIO server (started by scripts/test.sh).
// requires: s3
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { S3BlobStore } from '../../src/blobs/s3-store.js';
import { blobStoreSuite } from './blob-store-suite.js';
import { freshBucket, s3Env } from '../helpers/app.js';

await blobStoreSuite(t, async (t) => {
  const cfg = loadConfig(s3Env(freshBucket(t)));
  if (!cfg.s3) throw new Error('S3 configuration missing');
  return S3BlobStore.open(cfg.s3); // creates the bucket, which does not exist yet
});
