// The workspace repository over HTTP (inject), on both set-ups: PGlite + disk and
// Postgres + MinIO. Real Helm drives the same routes in test/e2e.
import t from 'tap';
import yaml from 'js-yaml';
import {
  adminAuth,
  basic,
  countRowsAndBlobs,
  createWorkspace,
  multipart,
  testApp,
  type TestApp,
} from '../helpers/app.js';
import { engines, stores, type Engine, type Store } from '../helpers/env.js';
import { badCharts, bigChart } from '../helpers/bad-charts.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';
import { sha256Hex } from '../../src/blobs/index.js';
import { hashPassword } from '../../src/accounts/passwords.js';

const setups: Array<{ engine: Engine; store: Store }> = [{ engine: 'pglite', store: 'disk' }];
if (engines().includes('postgres') && stores().includes('s3')) setups.push({ engine: 'postgres', store: 's3' });

const auth = { authorization: adminAuth };

async function push(app: TestApp['app'], ws: string, bytes: Buffer, query = '') {
  return app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts${query}`,
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: bytes,
  });
}

function parseIndex(body: string) {
  return yaml.load(body) as {
    apiVersion: string;
    entries: Record<string, Array<Record<string, unknown>>>;
    generated: string;
  };
}

for (const setup of setups) {
  const label = `${setup.engine}+${setup.store}`;

  t.test(`${label}: upload, index, download, delete`, async (t) => {
    const { app } = await testApp(t, setup);
    const ws = await createWorkspace(app);
    const v1 = makeChart({ name: 'web', version: '1.2.4' });
    const v2 = makeChart({ name: 'web', version: '1.2.16' });
    const pre = makeChart({ name: 'web', version: '1.3.0-rc.1' });

    let res = await push(app, ws, v1);
    t.equal(res.statusCode, 201);
    t.same(res.json(), { saved: true });
    // multipart, as helm cm-push sends it
    const mp = multipart({ chart: { filename: 'web-1.2.16.tgz', data: v2 } });
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, ...mp.headers },
      payload: mp.payload,
    });
    t.equal(res.statusCode, 201, res.body);
    t.equal((await push(app, ws, pre)).statusCode, 201);

    res = await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: auth });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], app.config.indexFormat === 'json' ? /^application\/json/ : /yaml/);
    const index = parseIndex(res.body);
    t.equal(index.apiVersion, 'v1');
    t.same(
      index.entries.web?.map((e) => e.version),
      ['1.3.0-rc.1', '1.2.16', '1.2.4'],
      'newest first by SemVer, not by string',
    );
    const entry = index.entries.web?.[1] ?? {};
    t.equal(entry.digest, sha256Hex(v2));
    t.same(entry.urls, ['charts/web-1.2.16.tgz'], 'relative URL');
    t.same(Object.keys(entry).sort(), [
      'apiVersion',
      'appVersion',
      'created',
      'description',
      'digest',
      'name',
      'type',
      'urls',
      'version',
    ]);

    // byte-identical download, HEAD, 304
    res = await app.inject({ url: `/workspaces/${ws}/charts/web-1.2.16.tgz`, headers: auth });
    t.equal(res.statusCode, 200);
    t.same(res.rawPayload, v2);
    t.equal(res.headers['content-type'], 'application/gzip');
    res = await app.inject({ method: 'HEAD', url: `/workspaces/${ws}/charts/web-1.2.16.tgz`, headers: auth });
    t.equal(res.statusCode, 200);
    t.equal(res.rawPayload.length, 0);
    t.equal((await app.inject({ url: `/workspaces/${ws}/charts/web-9.9.9.tgz`, headers: auth })).statusCode, 404);
    t.equal((await app.inject({ url: `/workspaces/${ws}/charts/web-1.2.16.tar`, headers: auth })).statusCode, 404);

    // ChartMuseum API shapes
    res = await app.inject({ url: `/api/workspaces/${ws}/charts`, headers: auth });
    t.same(Object.keys(res.json()), ['web']);
    res = await app.inject({ url: `/api/workspaces/${ws}/charts/web`, headers: auth });
    t.same(
      res.json().map((e: { version: string }) => e.version),
      ['1.3.0-rc.1', '1.2.16', '1.2.4'],
    );
    res = await app.inject({ url: `/api/workspaces/${ws}/charts/web/1.2.4`, headers: auth });
    t.equal(res.json().digest, sha256Hex(v1));
    res = await app.inject({ url: `/api/workspaces/${ws}/charts/web/latest`, headers: auth });
    t.equal(res.json().version, '1.3.0-rc.1');
    res = await app.inject({ url: `/api/workspaces/${ws}/charts/nope`, headers: auth });
    t.equal(res.statusCode, 404);
    t.match(res.json(), { error: /chart "nope" not found/ });

    res = await app.inject({ method: 'DELETE', url: `/api/workspaces/${ws}/charts/web/1.2.4`, headers: auth });
    t.equal(res.statusCode, 200);
    t.same(res.json(), { deleted: true });
    res = await app.inject({ method: 'DELETE', url: `/api/workspaces/${ws}/charts/web/1.2.4`, headers: auth });
    t.equal(res.statusCode, 404);
    t.equal((await app.inject({ url: `/workspaces/${ws}/charts/web-1.2.4.tgz`, headers: auth })).statusCode, 404);
    t.equal(await app.blobs.has(sha256Hex(v1)), false, 'the blob went with its only row');
    t.same(
      parseIndex((await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: auth })).body).entries.web?.map(
        (e) => e.version,
      ),
      ['1.3.0-rc.1', '1.2.16'],
    );
  });

  t.test(`${label}: existing versions conflict unless forced; force replaces a draft only`, async (t) => {
    const { app } = await testApp(t, setup);
    const ws = await createWorkspace(app);
    const first = makeChart({ name: 'api', version: '1.0.0' });
    const second = makeChart({ name: 'api', version: '1.0.0', readme: 'changed\n' });
    t.equal((await push(app, ws, first)).statusCode, 201);
    let res = await push(app, ws, second);
    t.equal(res.statusCode, 409);
    t.match(res.json(), { error: /api-1\.0\.0\.tgz already exists/ });
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 }, 'the refused upload left no blob');
    res = await push(app, ws, second, '?force');
    t.equal(res.statusCode, 201);
    res = await app.inject({ url: `/workspaces/${ws}/charts/api-1.0.0.tgz`, headers: auth });
    t.same(res.rawPayload, second, 'the draft was replaced');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 }, 'the replaced package blob was removed');

    await app.db.query("UPDATE app_versions SET state = 'active'");
    res = await push(app, ws, first, '?force=true');
    t.equal(res.statusCode, 409);
    t.match(res.json(), { error: /is active; only a version in state draft or rejected can be replaced/ });
    res = await app.inject({ method: 'DELETE', url: `/api/workspaces/${ws}/charts/api/1.0.0`, headers: auth });
    t.equal(res.statusCode, 409, 'an active version cannot be deleted');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 });
  });

  t.test(`${label}: every rejected upload answers 4xx and leaves no row and no blob`, async (t) => {
    const { app } = await testApp(t, { ...setup, env: { CHARTROOM_MAX_UPLOAD_BYTES: String(64 * 1024) } });
    const ws = await createWorkspace(app);
    const cases = [
      ...badCharts.filter((b) => !/decompression|single file/.test(b.name)),
      {
        name: 'over-size upload',
        bytes: () => bigChart(100 * 1024),
        message: /larger than the limit of 65536 bytes/,
        code: 'upload-too-large' as const,
      },
    ];
    for (const bad of cases) {
      const res = await push(app, ws, bad.bytes());
      const expected = bad.code === 'upload-too-large' ? 413 : 400;
      t.equal(res.statusCode, expected, `${bad.name}: status`);
      t.match(res.json().error, bad.message, `${bad.name}: message`);
    }
    // the same through multipart
    const mp = multipart({ chart: { filename: 'x.tgz', data: bigChart(100 * 1024) } });
    let res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, ...mp.headers },
      payload: mp.payload,
    });
    t.equal(res.statusCode, 413, 'multipart over the limit');
    const noChart = multipart({ other: { filename: 'x.tgz', data: makeChart() } });
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, ...noChart.headers },
      payload: noChart.payload,
    });
    t.equal(res.statusCode, 400);
    t.match(res.json().error, /unexpected file field "other"/);
    const threeFiles = multipart({
      chart: { filename: 'x.tgz', data: makeChart() },
      prov: { filename: 'x.tgz.prov', data: Buffer.from('not read') },
      extra: { filename: 'y.tgz', data: makeChart() },
    });
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, ...threeFiles.headers },
      payload: threeFiles.payload,
    });
    t.equal(res.statusCode, 400, 'a third file part is a bad form, not a size');
    t.match(res.json().error, /files limit/i);
    res = await app.inject({ method: 'POST', url: `/api/workspaces/${ws}/charts`, headers: auth });
    t.equal(res.statusCode, 400, 'no body at all');
    t.same(await countRowsAndBlobs(app), { apps: 0, versions: 0, blobs: 0 });
  });

  t.test(`${label}: the size limits of spec section 8 over HTTP`, async (t) => {
    const { app } = await testApp(t, setup);
    const ws = await createWorkspace(app);
    for (const bad of badCharts.filter((b) => /decompression|single file/.test(b.name))) {
      const res = await push(app, ws, bad.bytes());
      t.equal(res.statusCode, 400, bad.name);
      t.match(res.json().error, bad.message);
    }
    t.same(await countRowsAndBlobs(app), { apps: 0, versions: 0, blobs: 0 });
  });

  t.test(`${label}: provenance files`, async (t) => {
    const { app } = await testApp(t, setup);
    const ws = await createWorkspace(app);
    const chart = makeChart({ name: 'signed', version: '2.0.0' });
    const prov = (digest: string) =>
      Buffer.from(
        `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${chartYamlFor('signed', '2.0.0')}\n...\nfiles:\n  signed-2.0.0.tgz: sha256:${digest}\n-----BEGIN PGP SIGNATURE-----\n\nwsBcBAEBCgAQBQJlAAAACRAAAAAAAAAAAA==\n=AAAA\n-----END PGP SIGNATURE-----\n`,
      );
    const wrong = multipart({
      chart: { filename: 'signed-2.0.0.tgz', data: chart },
      prov: { filename: 'signed-2.0.0.tgz.prov', data: prov(sha256Hex('other')) },
    });
    let res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, ...wrong.headers },
      payload: wrong.payload,
    });
    t.equal(res.statusCode, 400);
    t.match(res.json().error, /digest for signed-2\.0\.0\.tgz does not match/);
    t.same(await countRowsAndBlobs(app), { apps: 0, versions: 0, blobs: 0 });

    t.equal((await push(app, ws, chart)).statusCode, 201);
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/prov`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('not a signature'),
    });
    t.equal(res.statusCode, 400);
    t.match(res.json().error, /not a PGP clear-signed message/);
    const good = prov(sha256Hex(chart));
    const mp = multipart({ prov: { filename: 'signed-2.0.0.tgz.prov', data: good } });
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/prov`,
      headers: { ...auth, ...mp.headers },
      payload: mp.payload,
    });
    t.equal(res.statusCode, 201, res.body);
    res = await app.inject({ url: `/workspaces/${ws}/charts/signed-2.0.0.tgz.prov`, headers: auth });
    t.equal(res.statusCode, 200);
    t.same(res.rawPayload, good);
  });

  t.test(`${label}: ETag, 304, gzip, HEAD, and per-workspace re-rendering`, async (t) => {
    const { app } = await testApp(t, setup);
    const a = await createWorkspace(app, 'team-a');
    const b = await createWorkspace(app, 'team-b');
    await push(app, a, makeChart({ name: 'one', version: '1.0.0' }));
    await push(app, b, makeChart({ name: 'two', version: '1.0.0' }));
    const first = await app.inject({ url: `/workspaces/${a}/index.yaml`, headers: auth });
    await app.inject({ url: `/workspaces/${b}/index.yaml`, headers: auth });
    const etag = first.headers.etag as string;
    t.match(etag, /^"[0-9a-f]{32}"$/);
    let res = await app.inject({ url: `/workspaces/${a}/index.yaml`, headers: { ...auth, 'if-none-match': etag } });
    t.equal(res.statusCode, 304);
    t.equal(res.body, '');
    res = await app.inject({ url: `/workspaces/${a}/index.yaml`, headers: { ...auth, 'accept-encoding': 'gzip' } });
    t.equal(res.headers['content-encoding'], 'gzip');
    t.equal((await import('node:zlib')).gunzipSync(res.rawPayload).toString(), first.body);
    t.equal(res.headers.etag, `W/${etag}`, 'a gzip body (bytes that packing may change) has the weak tag');
    res = await app.inject({
      url: `/workspaces/${a}/index.yaml`,
      headers: { ...auth, 'accept-encoding': 'gzip', 'if-none-match': `W/${etag}` },
    });
    t.equal(res.statusCode, 304, 'the weak tag revalidates');
    t.equal(res.headers.etag, `W/${etag}`);
    res = await app.inject({ method: 'HEAD', url: `/workspaces/${a}/index.yaml`, headers: auth });
    t.equal(res.statusCode, 200);
    t.equal(res.headers.etag, etag);

    const rendersB = app.indexes.rendered.get('workspace:2');
    const rendersA = app.indexes.rendered.get('workspace:1');
    t.equal(rendersA, 1, 'rendered once, then served from memory');
    await push(app, a, makeChart({ name: 'one', version: '1.1.0' }));
    res = await app.inject({ url: `/workspaces/${a}/index.yaml`, headers: { ...auth, 'if-none-match': etag } });
    t.equal(res.statusCode, 200, 'the next request after a write sees it');
    t.same(
      parseIndex(res.body).entries.one?.map((e) => e.version),
      ['1.1.0', '1.0.0'],
    );
    await app.inject({ url: `/workspaces/${b}/index.yaml`, headers: auth });
    t.equal(app.indexes.rendered.get('workspace:1'), 2);
    t.equal(app.indexes.rendered.get('workspace:2'), rendersB, "an upload to team-a did not re-render team-b's index");
  });

  t.test(`${label}: absolute URLs with CHARTROOM_PUBLIC_URL`, async (t) => {
    const { app } = await testApp(t, { ...setup, env: { CHARTROOM_PUBLIC_URL: 'https://charts.example.com/base/' } });
    const ws = await createWorkspace(app);
    await push(app, ws, makeChart({ name: 'web', version: '1.0.0+build.7' }));
    const index = parseIndex((await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: auth })).body);
    t.same(index.entries.web?.[0]?.urls, [
      'https://charts.example.com/base/workspaces/demo/charts/web-1.0.0+build.7.tgz',
    ]);
    const res = await app.inject({ url: `/workspaces/${ws}/charts/web-1.0.0+build.7.tgz`, headers: auth });
    t.equal(res.statusCode, 200);
  });

  t.test(`${label}: authentication and workspace access`, async (t) => {
    const { app, db } = await testApp(t, setup);
    const ws = await createWorkspace(app);
    await push(app, ws, makeChart());
    let res = await app.inject({ url: `/workspaces/${ws}/index.yaml` });
    t.equal(res.statusCode, 401);
    t.equal(res.headers['www-authenticate'], 'Basic realm="chartroom"');
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.match(res.json(), { status: 401, code: 'unauthorized', type: /unauthorized/ });
    res = await app.inject({
      url: `/workspaces/${ws}/index.yaml`,
      headers: { authorization: basic('admin', 'wrong') },
    });
    t.equal(res.statusCode, 401);
    t.notMatch(res.body, /wrong/, 'the password is not echoed');
    res = await app.inject({ url: '/healthz', headers: { authorization: basic('nobody', 'x') } });
    t.equal(res.statusCode, 401, 'wrong credentials are refused on every route');
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { 'content-type': 'application/gzip' },
      payload: makeChart({ version: '5.0.0' }),
    });
    t.equal(res.statusCode, 401);
    t.match(res.json(), { error: /sign in/ }, 'ChartMuseum-shaped error');

    const hash = await hashPassword('outsider-password');
    const [u] = await db.query<{ id: number }>(
      "INSERT INTO users (username, password_hash, platform_role) VALUES ('outsider', $1, 'platform-regular') RETURNING id",
      [hash],
    );
    await db.query(
      "INSERT INTO users (username, password_hash, platform_role) VALUES ('viewer', $1, 'platform-regular')",
      [hash],
    );
    await db.query(
      "INSERT INTO workspace_members (workspace_id, user_id, role) SELECT w.id, u.id, 'workspace-viewer' FROM workspaces w, users u WHERE u.username = 'viewer'",
    );
    const outsider = { authorization: basic('outsider', 'outsider-password') };
    const missing = await app.inject({ url: '/workspaces/nope/index.yaml', headers: outsider });
    const hidden = await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: outsider });
    t.equal(hidden.statusCode, 404);
    t.same(
      hidden.json().detail.replace(ws, 'X'),
      missing.json().detail.replace('nope', 'X'),
      'a private workspace looks like a missing one',
    );
    t.equal((await app.inject({ url: `/workspaces/${ws}/charts/demo-0.1.0.tgz`, headers: outsider })).statusCode, 404);
    t.equal((await app.inject({ url: `/api/workspaces/${ws}/charts`, headers: outsider })).statusCode, 404);
    t.ok(u);

    const viewer = { authorization: basic('viewer', 'outsider-password') };
    t.equal((await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: viewer })).statusCode, 200);
    t.equal((await app.inject({ url: `/workspaces/${ws}/charts/demo-0.1.0.tgz`, headers: viewer })).statusCode, 200);
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...viewer, 'content-type': 'application/gzip' },
      payload: makeChart({ version: '5.0.0' }),
    });
    t.equal(res.statusCode, 403);
    t.match(res.json().error, /needs the workspace-regular role/);
    await db.query("UPDATE users SET disabled = true WHERE username = 'viewer'");
    t.equal(
      (await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: viewer })).statusCode,
      401,
      'disabled at once',
    );
  });
}

t.test('workspaces API validates its input', async (t) => {
  const { app } = await testApp(t);
  let res = await app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: auth,
    payload: { name: 'Bad_Name' },
  });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'validation-failed', detail: /must be a DNS label/ });
  res = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { nom: 'x' } });
  t.equal(res.statusCode, 400);
  t.match(res.json().detail, /name/);
  res = await app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  t.equal(res.statusCode, 400);
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'ok' } }))
      .statusCode,
    201,
  );
  res = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'ok' } });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { code: 'workspace-exists' });
  res = await app.inject({ method: 'POST', url: '/api/v1/workspaces', payload: { name: 'anon' } });
  t.equal(res.statusCode, 401);
  res = await app.inject({ url: '/api/v1/workspaces', headers: auth });
  t.same(
    res.json().items.map((w: { name: string }) => w.name),
    ['ok'],
  );
  res = await app.inject({ url: '/no/such/route' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().code, 'not-found');
});
