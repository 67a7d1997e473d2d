// requires: postgres, s3
// Two replicas sharing one Postgres database and one bucket: a write answered by one
// is visible in the very next index request to the other (workspace and store), and an
// OCI upload session started on one continues on the other.
import t from 'tap';
import yaml from 'js-yaml';
import { createHash } from 'node:crypto';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import { ADMIN_PASSWORD, adminAuth, freshBucket, freshPostgres, s3Env, tempDir } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

t.test('read-your-writes across replicas', async (t) => {
  const url = await freshPostgres(t);
  const env = { ...s3Env(freshBucket(t)), LOG_LEVEL: 'silent' };
  const replicas = [];
  for (let i = 0; i < 2; i++) {
    const db = await openDatabase({ url, pgliteDir: null });
    t.teardown(() => db.close());
    const app = await buildApp(loadConfig({ ...env, CHARTROOM_DATA_DIR: await tempDir(t) }), { db, logger: false });
    t.teardown(() => app.close());
    await app.ready();
    replicas.push(app);
  }
  const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
  await ensureAdmin(a.db, ADMIN_PASSWORD);
  const auth = { authorization: adminAuth };
  const versions = async (app: typeof a, url: string, name: string) =>
    (
      (
        yaml.load((await app.inject({ url, headers: auth })).body) as {
          entries: Record<string, Array<{ version: string }>>;
        }
      ).entries[name] ?? []
    ).map((e) => e.version);

  t.equal(
    (await b.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'shared' } }))
      .statusCode,
    201,
  );
  t.same(await versions(a, '/workspaces/shared/index.yaml', 'web'), [], 'replica A caches an empty index');
  t.same(await versions(b, '/workspaces/shared/index.yaml', 'web'), []);
  for (const [writer, reader, version] of [
    [a, b, '1.0.0'],
    [b, a, '1.1.0'],
    [a, b, '1.2.0'],
  ] as const) {
    const res = await writer.inject({
      method: 'POST',
      url: '/api/workspaces/shared/charts',
      headers: { ...auth, 'content-type': 'application/gzip' },
      payload: makeChart({ name: 'web', version }),
    });
    t.equal(res.statusCode, 201);
    t.same(
      (await versions(reader, '/workspaces/shared/index.yaml', 'web'))[0],
      version,
      `the other replica serves ${version} at once`,
    );
  }
  const res = await b.inject({ url: '/workspaces/shared/charts/web-1.0.0.tgz', headers: auth });
  t.equal(res.statusCode, 200, 'a package stored through A downloads from B');

  // the store too
  t.same(await versions(b, '/store/index.yaml', 'web'), []);
  await a.inject({
    method: 'PATCH',
    url: '/api/v1/workspaces/shared/apps/web',
    headers: auth,
    payload: { category: 'uncategorized' },
  });
  for (const [app, action] of [
    [a, 'submit'],
    [b, 'pass'],
    [a, 'release'],
  ] as const) {
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/workspaces/shared/apps/web/versions/1.2.0/actions',
          headers: auth,
          payload: { action },
        })
      ).statusCode,
      200,
    );
  }
  t.same(await versions(b, '/store/index.yaml', 'web'), ['1.2.0'], 'released on A, in the store on B');
  await b.inject({
    method: 'POST',
    url: '/api/v1/workspaces/shared/apps/web/actions',
    headers: auth,
    payload: { action: 'suspend' },
  });
  t.same(await versions(a, '/store/index.yaml', 'web'), [], 'suspended on B, gone on A');

  // An OCI upload started on one replica continues on the other: its chunks are rows.
  const octets = { ...auth, 'content-type': 'application/octet-stream' };
  const blob = Buffer.from('x'.repeat(3000) + 'y'.repeat(2000));
  const started = await a.inject({ method: 'POST', url: '/v2/workspaces/shared/web/blobs/uploads/', headers: auth });
  t.equal(started.statusCode, 202);
  const at = String(started.headers.location);
  const chunk = await b.inject({ method: 'PATCH', url: at, headers: octets, payload: blob.subarray(0, 3000) });
  t.equal(chunk.statusCode, 202, 'the next chunk goes to the other replica');
  t.equal(chunk.headers.range, '0-2999');
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const done = await a.inject({
    method: 'PUT',
    url: `${at}?digest=${digest}`,
    headers: octets,
    payload: blob.subarray(3000),
  });
  t.equal(done.statusCode, 201, 'and the first one finishes it');
  const read = await b.inject({ url: `/v2/workspaces/shared/web/blobs/${digest}`, headers: auth });
  t.ok(read.rawPayload.equals(blob), 'the whole blob, read through the other replica');
});
