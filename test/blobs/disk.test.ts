import t from 'tap';
import { DiskBlobStore } from '../../src/blobs/disk-store.js';
import { blobStoreSuite } from './blob-store-suite.js';
import { tempDir } from '../helpers/app.js';

await blobStoreSuite(t, async (t) => DiskBlobStore.open(await tempDir(t)));
