// Unreferenced blobs are swept once older than the grace period; referenced or young ones stay.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sweepOrphanBlobs } from '../../src/apps/blob-refs.js';
import { sha256Hex } from '../../src/blobs/index.js';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

t.test('the sweeper removes old orphans only', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const chart = makeChart();
  await app.inject({ method: 'POST', url: `/api/workspaces/${ws}/charts`, headers: { authorization: adminAuth, 'content-type': 'application/gzip' }, payload: chart });
  const orphan = randomBytes(100);
  await app.blobs.put(sha256Hex(orphan), orphan);

  t.equal(await sweepOrphanBlobs(app.db, app.blobs, 3600), 0, 'a young orphan is left alone (an upload may be in flight)');
  t.equal(await app.blobs.has(sha256Hex(orphan)), true);
  const later = new Date(Date.now() + 2 * 3600 * 1000);
  t.equal(await sweepOrphanBlobs(app.db, app.blobs, 3600, later), 1, 'an old orphan goes');
  t.equal(await app.blobs.has(sha256Hex(orphan)), false);
  t.equal(await app.blobs.has(sha256Hex(chart)), true, 'a referenced blob stays, however old');
});
