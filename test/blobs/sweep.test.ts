// Unreferenced blobs are swept once older than the grace period; referenced or young ones
// stay. So are the temp files a crashed write leaves under the disk store's tmp/.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sweepOrphanBlobs } from '../../src/blobs/references.js';
import { sha256Hex } from '../../src/blobs/index.js';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

t.test('the sweeper removes old orphans only', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const chart = makeChart();
  await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
    payload: chart,
  });
  const orphan = randomBytes(100);
  await app.blobs.put(sha256Hex(orphan), orphan);

  t.same(
    await sweepOrphanBlobs(app.db, app.blobs, 3600),
    { blobs: 0, leftovers: 0 },
    'a young orphan is left alone (an upload may be in flight)',
  );
  t.equal(await app.blobs.has(sha256Hex(orphan)), true);
  const later = new Date(Date.now() + 2 * 3600 * 1000);
  t.same(await sweepOrphanBlobs(app.db, app.blobs, 3600, later), { blobs: 1, leftovers: 0 }, 'an old orphan goes');
  t.equal(await app.blobs.has(sha256Hex(orphan)), false);
  t.equal(await app.blobs.has(sha256Hex(chart)), true, 'a referenced blob stays, however old');
});

t.test('the sweep removes temp files of crashed writes once older than the grace period', async (t) => {
  const { app, config } = await testApp(t);
  const tmp = path.join(config.dataDir, 'blobs', 'tmp');
  // What put() leaves when the process dies between writing the temp file and renaming it.
  const leftover = async (ageSeconds: number) => {
    const data = randomBytes(1000);
    const file = path.join(tmp, `${sha256Hex(data)}.${randomBytes(6).toString('hex')}`);
    await fs.writeFile(file, data);
    const when = new Date(Date.now() - ageSeconds * 1000);
    await fs.utimes(file, when, when);
    return file;
  };
  const old = await leftover(2 * 3600);
  const young = await leftover(60);
  const exists = (file: string) =>
    fs.access(file).then(
      () => true,
      () => false,
    );

  t.same(await sweepOrphanBlobs(app.db, app.blobs, 3600), { blobs: 0, leftovers: 1 });
  t.equal(await exists(old), false, 'the old temp file is gone');
  t.equal(await exists(young), true, 'a young one stays: its write may still be running');
  t.same(
    await sweepOrphanBlobs(app.db, app.blobs, 3600, new Date(Date.now() + 2 * 3600 * 1000)),
    { blobs: 0, leftovers: 1 },
    'it goes too once old',
  );
  t.same(await fs.readdir(tmp), []);
  const ws = await createWorkspace(app);
  const res = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
    payload: makeChart(),
  });
  t.equal(res.statusCode, 201, 'uploads still work after a sweep');
});

t.test('a sweep over more blobs than one batch removes every old orphan and keeps every referenced blob', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const charts = Array.from({ length: 3 }, (_, i) => makeChart({ version: `1.0.${i}` }));
  for (const chart of charts) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
      payload: chart,
    });
    t.equal(res.statusCode, 201);
  }
  // Batches of 8: the packages fall into some of them; two whole batches of orphans and a part one.
  const orphans = Array.from({ length: 21 }, () => randomBytes(32));
  for (const o of orphans) await app.blobs.put(sha256Hex(o), o);
  const later = new Date(Date.now() + 2 * 3600 * 1000);
  t.same(await sweepOrphanBlobs(app.db, app.blobs, 3600, later, 8), { blobs: orphans.length, leftovers: 0 });
  const left: string[] = [];
  for await (const b of app.blobs.list()) left.push(b.digest);
  t.same(left.sort(), charts.map((c) => sha256Hex(c)).sort(), 'only the packages are left');
  t.same(
    await sweepOrphanBlobs(app.db, app.blobs, 3600, later),
    { blobs: 0, leftovers: 0 },
    'a second sweep finds nothing',
  );
});
