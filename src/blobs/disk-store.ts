// Blobs as files under a directory on local disk (the embedded default).
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertDigestOf, type BlobInfo, type BlobStore } from './blob-store.js';
import { BLOB_PREFIX, blobKey, digestFromKey } from './keys.js';

export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const;
  /** Fan-out directories known to exist (at most 256 or so; never removed). */
  private readonly dirs = new Set<string>();

  constructor(private readonly root: string) {}

  static async open(root: string): Promise<DiskBlobStore> {
    await fs.mkdir(path.join(root, BLOB_PREFIX), { recursive: true });
    await fs.mkdir(path.join(root, 'tmp'), { recursive: true });
    return new DiskBlobStore(root);
  }

  private file(digest: string): string {
    return path.join(this.root, blobKey(digest));
  }

  async put(digest: string, data: Buffer): Promise<void> {
    assertDigestOf(digest, data);
    const target = this.file(digest);
    if (await this.has(digest)) return;
    const dir = path.dirname(target);
    if (!this.dirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    // Write then rename, so a reader never sees a half-written blob and a crash
    // leaves at most a temp file (removed by the sweeper's tmp cleanup).
    const tmp = path.join(this.root, 'tmp', `${digest}.${randomBytes(6).toString('hex')}`);
    try {
      await fs.writeFile(tmp, data, { flag: 'wx' });
      try {
        await fs.rename(tmp, target);
      } catch (err) {
        // The directory went away underneath (an operator's clean-up): make it again, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await fs.mkdir(dir, { recursive: true });
        await fs.rename(tmp, target);
      }
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async get(digest: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.file(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.file(digest));
      return true;
    } catch {
      return false;
    }
  }

  async delete(digest: string): Promise<void> {
    await fs.rm(this.file(digest), { force: true });
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = path.join(this.root, BLOB_PREFIX);
    for (const fan of await fs.readdir(base)) {
      let names: string[];
      try {
        names = await fs.readdir(path.join(base, fan));
      } catch {
        continue;
      }
      for (const name of names) {
        const digest = digestFromKey(`${BLOB_PREFIX}${fan}/${name}`);
        if (!digest) continue;
        try {
          const st = await fs.stat(path.join(base, fan, name));
          yield { digest, size: st.size, modifiedAt: st.mtime };
        } catch {
          // deleted while listing
        }
      }
    }
  }

  /** Temp files of writes that crashed before their rename (only put() writes there). */
  async removeLeftovers(startedBefore: Date): Promise<number> {
    const dir = path.join(this.root, 'tmp');
    let removed = 0;
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      try {
        const st = await fs.lstat(file);
        if (st.mtime >= startedBefore) continue; // a write may still be in flight
        await fs.rm(file, { force: true, recursive: st.isDirectory() });
        removed++;
      } catch {
        // renamed or removed meanwhile
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    await fs.access(path.join(this.root, BLOB_PREFIX), fs.constants.R_OK | fs.constants.W_OK);
  }

  async close(): Promise<void> {}
}
