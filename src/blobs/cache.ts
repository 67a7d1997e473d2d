// Blobs are named by their sha256, so their bytes never change: a small in-memory
// LRU in front of the store serves hot packages (the newest versions everyone pulls)
// without a disk read or an S3 round trip. Deletion evicts; nothing else can go stale.
import { LRUCache } from 'lru-cache';
import type { BlobInfo, BlobStore } from './blob-store.js';

export class CachingBlobStore implements BlobStore {
  /** Bounded by bytes; a blob bigger than maxItemBytes is never kept. */
  private readonly entries: LRUCache<string, Buffer>;

  constructor(
    private readonly inner: BlobStore,
    maxBytes = 64 * 1024 * 1024,
    maxItemBytes = 4 * 1024 * 1024,
  ) {
    // An empty blob still takes an entry: lru-cache wants sizes of at least 1.
    this.entries = new LRUCache({
      maxSize: maxBytes,
      maxEntrySize: maxItemBytes,
      sizeCalculation: (data) => Math.max(1, data.length),
    });
  }

  get kind() {
    return this.inner.kind;
  }

  async put(digest: string, data: Buffer): Promise<void> {
    await this.inner.put(digest, data);
  }

  async get(digest: string): Promise<Buffer | null> {
    const hit = this.entries.get(digest); // marks it the most recently used
    if (hit) return hit;
    const data = await this.inner.get(digest);
    if (data) this.entries.set(digest, data);
    return data;
  }

  has(digest: string): Promise<boolean> {
    return this.inner.has(digest);
  }

  async delete(digest: string): Promise<void> {
    this.entries.delete(digest);
    await this.inner.delete(digest);
  }

  list(): AsyncIterable<BlobInfo> {
    return this.inner.list();
  }

  removeLeftovers(startedBefore: Date): Promise<number> {
    return this.inner.removeLeftovers(startedBefore);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
