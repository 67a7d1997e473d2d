// The incremental index: a write marks only its chart name; the next reader renders
// only that name and stores the text, so other replicas and restarts render nothing
// already rendered; YAML stays byte for byte what rendering the whole index gives, and
// JSON holds the same document. Several app instances share one database here, as
// replicas (or a restarted process) do.
import t from 'tap';
import fs from 'node:fs';
import yaml from 'js-yaml';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import { renderIndex } from '../../src/index/render.js';
import { listWorkspaceVersions } from '../../src/versions/versions.js';
import {
  ADMIN_PASSWORD,
  TEST_SCRYPT_COST,
  adminAuth,
  createWorkspace,
  freshDatabase,
  replicaApp,
  storeEnv,
} from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';

const auth = { authorization: adminAuth };

async function push(app: FastifyInstance, ws: string, name: string, version: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: makeChart({ name, version }),
  });
  if (res.statusCode !== 201) throw new Error(`push ${name} ${version}: ${res.statusCode} ${res.body}`);
}

async function get(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ url, headers: { ...auth, ...headers } });
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
  return res;
}

for (const engine of engines()) {
  t.test(`${engine}: a write renders only its chart name, once, for every replica`, async (t) => {
    const db = await freshDatabase(t, engine);
    const env = await storeEnv(t, 'disk');
    const a = await replicaApp(t, db, env);
    await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
    const ws = await createWorkspace(a, 'inc');
    const [{ id }] = (await db.query<{ id: number }>('SELECT id FROM workspaces WHERE name = $1', [ws])) as [
      { id: number },
    ];
    const key = `workspace:${id}`;
    const url = `/workspaces/${ws}/index.yaml`;
    for (const name of ['alpha', 'beta', 'gamma']) await push(a, ws, name, '1.0.0');

    await get(a, url);
    await a.indexes.stored();
    t.equal(a.indexes.rendered.get(key), 3, 'the first read renders each chart name once');
    await get(a, url);
    t.equal(a.indexes.rendered.get(key), 3, 'an unchanged repository renders nothing');

    await push(a, ws, 'beta', '1.1.0');
    const fragments = await db.query<{ name: string; seq: number; rendered_seq: number | null }>(
      'SELECT name, seq, packed_seq AS rendered_seq FROM index_fragments WHERE workspace_id = $1 ORDER BY name',
      [id],
    );
    t.same(
      fragments.filter((f) => f.seq !== f.rendered_seq).map((f) => f.name),
      ['beta'],
      'the write marked only its own chart name',
    );

    // Another replica (or this one restarted) renders only what nobody rendered yet.
    const b = await replicaApp(t, db, env);
    const fromB = await get(b, url);
    await b.indexes.stored(); // the answer did not wait for it
    t.equal(b.indexes.rendered.get(key), 1, 'replica B rendered only beta');
    t.same(
      (yaml.load(fromB.body) as { entries: Record<string, Array<{ version: string }>> }).entries.beta?.map(
        (e) => e.version,
      ),
      ['1.1.0', '1.0.0'],
    );
    const fromA = await get(a, url);
    t.equal(a.indexes.rendered.get(key), 3, 'replica A read the text B stored instead of rendering');
    t.equal(fromA.body, fromB.body, 'both replicas serve the same bytes');
    t.equal(fromA.headers.etag, fromB.headers.etag, 'and the same ETag');

    // The YAML form is what rendering the whole index at once gives.
    const c = await replicaApp(t, db, { ...env, CHARTROOM_INDEX_FORMAT: 'yaml' });
    const asYaml = await get(c, url);
    t.equal(c.indexes.rendered.get(key) ?? 0, 0, 'both forms were stored: a YAML replica renders nothing');
    const [{ revised_at: revisedAt }] = (await db.query<{ revised_at: Date }>(
      'SELECT revised_at FROM workspaces WHERE id = $1',
      [id],
    )) as [{ revised_at: Date }];
    const whole = renderIndex(await listWorkspaceVersions(db, id), { baseUrl: null, generated: revisedAt });
    t.equal(asYaml.body, whole, 'YAML byte for byte');
    t.match(asYaml.headers['content-type'], /yaml/);
    t.match(fromA.headers['content-type'], /^application\/json/);
    t.same(JSON.parse(fromA.body), yaml.load(whole), 'JSON holds the same document');
    t.not(asYaml.headers.etag, fromA.headers.etag, 'the ETag depends on the form');

    for (const [app, identity] of [
      [a, fromA.body],
      [c, asYaml.body],
    ] as const) {
      const gz = await get(app, url, { 'accept-encoding': 'gzip' });
      t.equal(gz.headers['content-encoding'], 'gzip');
      t.equal(gunzipSync(gz.rawPayload).toString(), identity, 'gzip holds the same bytes');
      t.equal(Number(gz.headers['content-length']), gz.rawPayload.length);
    }
    const head = await a.inject({ method: 'HEAD', url, headers: auth });
    t.equal(head.statusCode, 200);
    t.equal(Number(head.headers['content-length']), Buffer.byteLength(fromA.body));
    t.equal(head.body, '');

    // Deleting the last version of a name removes it from every replica's index.
    for (const version of ['1.0.0']) {
      const del = await b.inject({
        method: 'DELETE',
        url: `/api/workspaces/${ws}/charts/gamma/${version}`,
        headers: auth,
      });
      t.equal(del.statusCode, 200);
    }
    const after = JSON.parse((await get(a, url)).body) as { entries: Record<string, unknown> };
    t.same(Object.keys(after.entries), ['alpha', 'beta'], 'gamma is gone');
  });

  t.test(`${engine}: the store index follows releases and suspensions, one name at a time`, async (t) => {
    const db = await freshDatabase(t, engine);
    const app = await replicaApp(t, db, await storeEnv(t, 'disk'));
    await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
    const store = await new StoreFixture(app).setUp();
    const names = async () =>
      Object.keys((JSON.parse((await get(app, '/store/index.yaml')).body) as { entries: object }).entries);
    t.same(await names(), [], 'an empty store');
    await store.release('web', '1.0.0');
    await store.release('db', '1.0.0');
    t.same(await names(), ['db', 'web']);
    t.equal(app.indexes.rendered.get('store'), 2);
    await store.release('web', '1.1.0');
    t.same(await names(), ['db', 'web']);
    t.equal(app.indexes.rendered.get('store'), 3, 'a release re-renders only its chart name');
    const suspend = await store.people.as('reviewer', 'POST', store.url('db', '/actions'), {
      action: 'suspend',
      message: 'broken',
    });
    t.equal(suspend.statusCode, 200, suspend.body);
    t.same(await names(), ['web'], 'a suspended app leaves the store index at once');
    t.equal(app.indexes.rendered.get('store'), 4);
  });
}

t.test('an index held compressed answers Helm from plain files in the data directory, gone at close', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  // Held compressed from the first byte: every identity answer goes through the files.
  const env: Record<string, string> = { ...(await storeEnv(t, 'disk')), CHARTROOM_INDEX_PLAIN_MB: '0' };
  const app = await replicaApp(t, db, env);
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  const ws = await createWorkspace(app, 'files');
  const url = `/workspaces/${ws}/index.yaml`;
  for (const name of ['alpha', 'beta', 'gamma']) await push(app, ws, name, '1.0.0');

  const first = (await get(app, url)).body;
  const files = app.indexes.files!;
  t.ok(files, 'kept in files');
  t.ok(files.dir.startsWith(`${env.CHARTROOM_DATA_DIR}/index-pages/`), `under the data directory: ${files.dir}`);
  t.ok(files.files > 0, `${files.files} files written by the first answer`);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  const gauge = /^chartroom_index_plain_file_bytes (\d+)/m.exec(metrics);
  t.equal(Number(gauge?.[1]), files.bytes, 'their bytes in /metrics');
  t.equal((await get(app, url)).body, first, 'the next answer, read from them, is the same');

  await push(app, ws, 'beta', '1.1.0');
  const after = (await get(app, url)).body;
  t.match(after, /"version":"1\.1\.0"/, 'a write shows (JSON, the default form)');
  const gzipped = (await get(app, url, { 'accept-encoding': 'gzip' })).rawPayload;
  t.equal(gunzipSync(gzipped).toString(), after, 'identity and gzip agree');

  await app.close();
  t.notOk(fs.existsSync(files.dir), 'the directory is removed when the server closes');
});
