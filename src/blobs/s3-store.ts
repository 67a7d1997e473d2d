// Blobs as objects in an S3-compatible bucket (MinIO in production), through the
// minio client. The bucket is created on open when it does not exist.
import * as Minio from 'minio';
import type { Readable } from 'node:stream';
import type { S3Config } from '../config.js';
import { assertDigestOf, type BlobInfo, type BlobStore } from './blob-store.js';
import { BLOB_PREFIX, blobKey, digestFromKey } from './keys.js';
import { whenUnreachable } from '../unavailable.js';

// Every call maps an outage of the S3 server to a 503 (src/unavailable.ts).
const STORE = 'the blob store (S3)';

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchObject';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private constructor(
    private readonly client: Minio.Client,
    private readonly bucket: string,
  ) {}

  static async open(cfg: S3Config): Promise<S3BlobStore> {
    const client = new Minio.Client({
      endPoint: cfg.endPoint,
      port: cfg.port,
      useSSL: cfg.useSSL,
      accessKey: cfg.accessKey,
      secretKey: cfg.secretKey,
      region: cfg.region,
      pathStyle: true,
    });
    if (!(await client.bucketExists(cfg.bucket))) {
      try {
        await client.makeBucket(cfg.bucket, cfg.region);
      } catch (err) {
        // Another replica may have created it a moment ago.
        const code = (err as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
      }
    }
    return new S3BlobStore(client, cfg.bucket);
  }

  async put(digest: string, data: Buffer): Promise<void> {
    assertDigestOf(digest, data);
    // No HEAD first: writing the same bytes under their digest again changes nothing, and
    // a new blob (the common case: every upload) then costs one request instead of two.
    await whenUnreachable(STORE, () =>
      this.client.putObject(this.bucket, blobKey(digest), data, data.length, {
        'Content-Type': 'application/octet-stream',
      }),
    );
  }

  async get(digest: string): Promise<Buffer | null> {
    return whenUnreachable(STORE, async () => {
      try {
        return await readAll(await this.client.getObject(this.bucket, blobKey(digest)));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async has(digest: string): Promise<boolean> {
    return whenUnreachable(STORE, async () => {
      try {
        await this.client.statObject(this.bucket, blobKey(digest));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  async delete(digest: string): Promise<void> {
    await whenUnreachable(STORE, () => this.client.removeObject(this.bucket, blobKey(digest)));
  }

  async *list(): AsyncIterable<BlobInfo> {
    const stream = this.client.listObjectsV2(this.bucket, BLOB_PREFIX, true);
    const items = (stream as AsyncIterable<Minio.BucketItem>)[Symbol.asyncIterator]();
    for (;;) {
      const next = await whenUnreachable(STORE, () => items.next());
      if (next.done) return;
      const item = next.value;
      if (!item.name) continue;
      const digest = digestFromKey(item.name);
      if (!digest) continue;
      yield { digest, size: item.size, modifiedAt: item.lastModified ?? new Date(0) };
    }
  }

  /**
   * Multipart uploads that were never completed (the client splits large objects) keep
   * their parts in the bucket, invisible to listing, until aborted. (MinIO also expires
   * them itself after a day; other S3 services need a lifecycle rule or this.)
   */
  async removeLeftovers(startedBefore: Date): Promise<number> {
    const stale: Array<{ key: string; uploadId: string }> = [];
    // No prefix in the request: MinIO answers a prefix only when it is a whole key.
    const stream = this.client.listIncompleteUploads(this.bucket, '', true);
    for await (const u of stream as AsyncIterable<Minio.IncompleteUploadedBucketItem & { initiated?: Date }>) {
      if (!u.key?.startsWith(BLOB_PREFIX) || !u.uploadId) continue;
      if (u.initiated && u.initiated < startedBefore) stale.push({ key: u.key, uploadId: u.uploadId });
    }
    for (const u of stale) await this.client.abortMultipartUpload(this.bucket, u.key, u.uploadId);
    return stale.length;
  }

  async ping(): Promise<void> {
    const exists = await whenUnreachable(STORE, () => this.client.bucketExists(this.bucket));
    if (!exists) throw new Error(`bucket ${this.bucket} does not exist`);
  }

  async close(): Promise<void> {}
}
