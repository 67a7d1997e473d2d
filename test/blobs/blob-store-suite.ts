// The one test suite every BlobStore implementation passes.
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { sha256Hex, type BlobStore } from '../../src/blobs/index.js';

export async function blobStoreSuite(t: Test, open: (t: Test) => Promise<BlobStore>): Promise<void> {
  t.test('put, has, get round-trip the exact bytes', async (t) => {
    const store = await open(t);
    const data = randomBytes(70_000);
    const digest = sha256Hex(data);
    t.equal(await store.has(digest), false);
    t.equal(await store.get(digest), null);
    await store.put(digest, data);
    t.equal(await store.has(digest), true);
    t.same(await store.get(digest), data);
  });

  t.test('put is idempotent and content-addressed', async (t) => {
    const store = await open(t);
    const data = Buffer.from('same bytes');
    const digest = sha256Hex(data);
    await store.put(digest, data);
    await store.put(digest, Buffer.from(data));
    const listed = [];
    for await (const b of store.list()) listed.push(b);
    t.equal(listed.length, 1);
    t.equal(listed[0]?.digest, digest);
    t.equal(listed[0]?.size, data.length);
    t.ok(listed[0] && Date.now() - listed[0].modifiedAt.getTime() < 10 * 60_000, 'modifiedAt is recent');
  });

  t.test('put refuses bytes that do not match the digest, and bad digests', async (t) => {
    const store = await open(t);
    await t.rejects(store.put(sha256Hex('a'), Buffer.from('b')), /digest mismatch/);
    await t.rejects(store.put('../../etc/passwd', Buffer.from('x')), /not a sha256 hex digest/);
    await t.rejects(store.get('ABC'), /not a sha256 hex digest/);
    const listed = [];
    for await (const b of store.list()) listed.push(b);
    t.equal(listed.length, 0, 'nothing stored');
  });

  t.test('delete removes a blob; deleting a missing one is fine', async (t) => {
    const store = await open(t);
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    await store.put(sha256Hex(a), a);
    await store.put(sha256Hex(b), b);
    await store.delete(sha256Hex(a));
    await store.delete(sha256Hex('never stored'));
    t.equal(await store.has(sha256Hex(a)), false);
    t.equal(await store.has(sha256Hex(b)), true);
    const listed = [];
    for await (const x of store.list()) listed.push(x.digest);
    t.same(listed, [sha256Hex(b)]);
  });

  t.test('ping succeeds on an open store', async (t) => {
    const store = await open(t);
    await t.resolves(store.ping());
  });
}
