// CachingBlobStore keeps recently read blobs in memory, bounded by bytes: what the
// store behind it is asked shows what was served from memory.
import t, { type Test } from 'tap';
import { CachingBlobStore } from '../../src/blobs/cache.js';
import { DiskBlobStore } from '../../src/blobs/disk-store.js';
import { sha256Hex, type BlobStore } from '../../src/blobs/index.js';
import { tempDir } from '../helpers/app.js';

/** A real disk store that counts the reads that reach it. */
async function countingDisk(t: Test): Promise<{ store: BlobStore; reads: string[] }> {
  const disk = await DiskBlobStore.open(await tempDir(t));
  const reads: string[] = [];
  const store: BlobStore = Object.assign(Object.create(disk) as BlobStore, {
    get: (digest: string) => {
      reads.push(digest);
      return disk.get(digest);
    },
  });
  return { store, reads };
}

async function stored(store: BlobStore, text: string, size: number): Promise<string> {
  const data = Buffer.alloc(size, text);
  const digest = sha256Hex(data);
  await store.put(digest, data);
  return digest;
}

t.test('a blob read once is served from memory, the least recently read goes first', async (t) => {
  const { store: disk, reads } = await countingDisk(t);
  const cache = new CachingBlobStore(disk, 100, 60); // room for two 40-byte blobs
  const [a, b, c] = [await stored(disk, 'a', 40), await stored(disk, 'b', 40), await stored(disk, 'c', 40)];
  t.same(await cache.get(a), Buffer.alloc(40, 'a'));
  t.same(await cache.get(a), Buffer.alloc(40, 'a'));
  t.same(reads, [a], 'the second read came from memory');
  await cache.get(b);
  await cache.get(a); // a is now the most recently read
  await cache.get(c); // over 100 bytes: b goes
  reads.length = 0;
  await cache.get(a);
  await cache.get(c);
  t.same(reads, [], 'a and c are still in memory');
  await cache.get(b);
  t.same(reads, [b], 'b was evicted');
});

t.test('blobs over the per-item limit are never kept; empty blobs are', async (t) => {
  const { store: disk, reads } = await countingDisk(t);
  const cache = new CachingBlobStore(disk, 1000, 60);
  const big = await stored(disk, 'x', 61);
  const empty = await stored(disk, '', 0);
  await cache.get(big);
  await cache.get(big);
  t.same(reads, [big, big], 'read from the store each time');
  reads.length = 0;
  t.same(await cache.get(empty), Buffer.alloc(0));
  t.same(await cache.get(empty), Buffer.alloc(0));
  t.same(reads, [empty], 'an empty blob is cached like any other');
});

t.test('delete evicts, so a deleted blob is not served from memory', async (t) => {
  const { store: disk } = await countingDisk(t);
  const cache = new CachingBlobStore(disk);
  const a = await stored(disk, 'a', 10);
  t.ok(await cache.get(a));
  await cache.delete(a);
  t.equal(await cache.get(a), null);
  t.equal(await cache.has(a), false);
});
