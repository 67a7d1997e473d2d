import t from 'tap';
import { DiskBlobStore } from '../../src/blobs/disk-store.js';
import { blobStoreSuite } from './blob-store-suite.js';
import { tempDir } from '../helpers/app.js';

await blobStoreSuite(t, async (t) => DiskBlobStore.open(await tempDir(t)));

// The in-memory cache in front of a store passes the same suite.
t.test('behind the blob cache', async (t) => {
  const { CachingBlobStore } = await import('../../src/blobs/cache.js');
  await blobStoreSuite(
    t,
    async (t) => new CachingBlobStore(await DiskBlobStore.open(await tempDir(t)), 1024 * 1024, 64 * 1024),
  );
});
