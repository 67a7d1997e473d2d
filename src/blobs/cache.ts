// Blobs are named by their sha256, so their bytes never change: a small in-memory
// LRU in front of the store serves hot packages (the newest versions everyone pulls)
// without a disk read or an S3 round trip. Deletion evicts; nothing else can go stale.
import type { BlobInfo, BlobStore } from './blob-store.js';

export class CachingBlobStore implements BlobStore {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly inner: BlobStore,
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly maxItemBytes = 4 * 1024 * 1024,
  ) {}

  get kind() {
    return this.inner.kind;
  }

  private remember(digest: string, data: Buffer): void {
    if (data.length > this.maxItemBytes || this.entries.has(digest)) return;
    this.entries.set(digest, data);
    this.bytes += data.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }

  async put(digest: string, data: Buffer): Promise<void> {
    await this.inner.put(digest, data);
  }

  async get(digest: string): Promise<Buffer | null> {
    const hit = this.entries.get(digest);
    if (hit) {
      // move to the most recently used end
      this.entries.delete(digest);
      this.entries.set(digest, hit);
      return hit;
    }
    const data = await this.inner.get(digest);
    if (data) this.remember(digest, data);
    return data;
  }

  has(digest: string): Promise<boolean> {
    return this.inner.has(digest);
  }

  async delete(digest: string): Promise<void> {
    const hit = this.entries.get(digest);
    if (hit) {
      this.entries.delete(digest);
      this.bytes -= hit.length;
    }
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
