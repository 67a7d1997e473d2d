// The shared blob-store suite against a real MinIO server (started by scripts/test.sh).
// requires: s3
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { S3BlobStore } from '../../src/blobs/s3-store.js';
import { blobStoreSuite } from './blob-store-suite.js';
import { freshBucket, s3Env } from '../helpers/app.js';
import * as Minio from 'minio';
import { blobKey } from '../../src/blobs/keys.js';
import { sha256Hex } from '../../src/blobs/index.js';

await blobStoreSuite(t, async (t) => {
  const cfg = loadConfig(s3Env(freshBucket(t)));
  if (!cfg.s3) throw new Error('S3 configuration missing');
  return S3BlobStore.open(cfg.s3); // creates the bucket, which does not exist yet
});

// A multipart upload that never completed (a crash mid-put of a large blob) keeps its
// parts in the bucket; the sweep aborts it once it is older than the grace period.
t.test('incomplete multipart uploads are removed once old', async (t) => {
  const cfg = loadConfig(s3Env(freshBucket(t)));
  if (!cfg.s3) throw new Error('S3 configuration missing');
  const store = await S3BlobStore.open(cfg.s3);
  const client = new Minio.Client({
    endPoint: cfg.s3.endPoint,
    port: cfg.s3.port,
    useSSL: cfg.s3.useSSL,
    accessKey: cfg.s3.accessKey,
    secretKey: cfg.s3.secretKey,
    region: cfg.s3.region,
    pathStyle: true,
  });
  const key = blobKey(sha256Hex('a large blob whose upload crashed'));
  await client.initiateNewMultipartUpload(cfg.s3.bucket, key, {});
  const pending = async () => {
    const keys: string[] = [];
    for await (const u of client.listIncompleteUploads(cfg.s3!.bucket, '', true) as AsyncIterable<{ key: string }>) {
      keys.push(u.key);
    }
    return keys;
  };
  t.same(await pending(), [key]);
  t.equal(
    await store.removeLeftovers(new Date(Date.now() - 3600 * 1000)),
    0,
    'a young upload stays: it may still be running',
  );
  t.same(await pending(), [key]);
  t.equal(await store.removeLeftovers(new Date(Date.now() + 3600 * 1000)), 1, 'an old one is aborted');
  t.same(await pending(), []);
});
