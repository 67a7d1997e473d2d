// Package file names come from URLs and provenance files, so from anyone: one is
// parsed in one bounded pass and looked up with at most one query (none when no chart
// could have that name), however many "-" splits it allows.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { adminAuth, countRowsAndBlobs, createWorkspace, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { parsePackageFileName } from '../../src/charts/package-file-name.js';
import { sha256Hex } from '../../src/blobs/index.js';

const auth = { authorization: adminAuth };
// The name from the review: 24 KB, and every one of its 4000 splits a valid SemVer.
const HUGE = `a${'-1.1.1'.repeat(4000)}.tgz`;
// 497 characters before ".tgz": longer than any chart name and version make, and
// with 82 valid splits (82 queries once).
const LONG_STORE_NAME = `aaaaa${'-1.1.1'.repeat(82)}.tgz`;

/** Records the SQL of every lookup of versions the app makes from now on. */
function versionLookups(app: FastifyInstance): string[] {
  const seen: string[] = [];
  const query = app.db.query.bind(app.db);
  app.db.query = (async (sql: string, params?: unknown[]) => {
    if (/\bapp_versions\b/.test(sql)) seen.push(sql);
    return query(sql, params);
  }) as typeof app.db.query;
  return seen;
}

function prov(file: string, digest: string): string {
  return (
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${chartYamlFor('a', '1.1.1')}\n...\nfiles:\n  ${file}: sha256:${digest}\n` +
    '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n'
  );
}

t.test('parsing a package file name', async (t) => {
  t.same(parsePackageFileName('demo-0.1.0.tgz'), { candidates: [{ name: 'demo', version: '0.1.0' }], prov: false });
  t.same(parsePackageFileName('demo-0.1.0.tgz.prov'), { candidates: [{ name: 'demo', version: '0.1.0' }], prov: true });
  t.same(
    parsePackageFileName('foo-bar-1.0.0-rc.1.tgz')?.candidates,
    [{ name: 'foo-bar', version: '1.0.0-rc.1' }],
    'a prerelease after a dashed name',
  );
  t.same(
    parsePackageFileName('a-1.0.0+build.tgz')?.candidates,
    [{ name: 'a', version: '1.0.0+build' }],
    'build metadata',
  );
  t.same(
    parsePackageFileName('a-1.0.0-1.0.0.tgz')?.candidates,
    [
      { name: 'a', version: '1.0.0-1.0.0' },
      { name: 'a-1.0.0', version: '1.0.0' },
    ],
    'both readings of an ambiguous name, shortest chart name first',
  );
  const longest = `${'n'.repeat(250)}-1.0.0-${'p'.repeat(122)}`;
  t.same(
    parsePackageFileName(`${longest}.tgz`)?.candidates,
    [{ name: 'n'.repeat(250), version: `1.0.0-${'p'.repeat(122)}` }],
    'a 250-character name and a 128-character version',
  );
  for (const bad of [
    'demo-0.1.0.zip',
    'demo.tgz',
    'demo-v1.0.0.tgz',
    'demo-1.0.tgz',
    '-1.0.0.tgz',
    '.-1.0.0.tgz',
    '..-1.0.0.tgz',
    'de mo-1.0.0.tgz',
    'de/mo-1.0.0.tgz',
    'a+b-1.0.0.tgz',
    `${'n'.repeat(251)}-1.0.0.tgz`,
    `n-1.0.0-${'p'.repeat(123)}.tgz`,
    'demo-0.1.0.tgz.prov.prov',
    HUGE,
    LONG_STORE_NAME,
  ]) {
    t.equal(
      parsePackageFileName(bad),
      null,
      `refused: ${bad.slice(0, 40)}${bad.length > 40 ? `... (${bad.length})` : ''}`,
    );
  }
});

for (const engine of engines()) {
  t.test(`${engine}: one lookup at most per package file name`, async (t) => {
    const { app } = await testApp(t, { engine });
    const ws = await createWorkspace(app);
    const push = (bytes: Buffer) =>
      app.inject({
        method: 'POST',
        url: `/api/workspaces/${ws}/charts`,
        headers: { ...auth, 'content-type': 'application/gzip' },
        payload: bytes,
      });
    const charts = [
      makeChart({ name: 'foo-bar', version: '1.0.0-rc.1' }),
      makeChart({ name: 'a', version: '1.0.0+build' }),
      makeChart({ name: 'a-1.0.0', version: '1.0.0' }),
    ];
    for (const c of charts) t.equal((await push(c)).statusCode, 201);
    const lookups = versionLookups(app);

    for (const [file, chart] of [
      ['foo-bar-1.0.0-rc.1.tgz', charts[0]],
      ['a-1.0.0+build.tgz', charts[1]],
      ['a-1.0.0-1.0.0.tgz', charts[2]],
    ] as const) {
      lookups.length = 0;
      const res = await app.inject({ url: `/workspaces/${ws}/charts/${file}`, headers: auth });
      t.equal(res.statusCode, 200, `${file} downloads`);
      t.equal(sha256Hex(res.rawPayload), sha256Hex(chart as Buffer), `${file} is the right package`);
      t.equal(lookups.length, 1, `${file}: one lookup`);
    }

    lookups.length = 0;
    let res = await app.inject({ url: `/workspaces/${ws}/charts/nope-1.0.0-1.0.0.tgz`, headers: auth });
    t.equal(res.statusCode, 404);
    t.equal(lookups.length, 1, 'a miss with two readings: still one lookup');

    lookups.length = 0;
    res = await app.inject({ url: `/workspaces/${ws}/charts/${LONG_STORE_NAME}`, headers: auth });
    t.equal(res.statusCode, 404, 'a name no chart could have is not found');
    t.equal(lookups.length, 0, '... without a lookup');

    // The provenance file of the review lists the 24 KB name: refused before any lookup.
    lookups.length = 0;
    const started = Date.now();
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/prov`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: prov(HUGE, sha256Hex(Buffer.from('x'))),
    });
    const took = Date.now() - started;
    t.equal(res.statusCode, 400);
    t.match(res.json(), {
      code: 'prov-invalid',
      error: new RegExp(
        `lists "a-1\\.1\\.1-1\\.1\\.1.*\\(${HUGE.length} characters\\), which is not a chart package file name`,
      ),
    });
    t.equal(lookups.length, 0, 'no lookup for the 24 KB name');
    t.ok(took < 2000, `answered in ${took} ms (it took over 4 s with a query per split)`);

    // A real provenance file still finds its chart, in one lookup.
    lookups.length = 0;
    res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/prov`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: prov('foo-bar-1.0.0-rc.1.tgz', sha256Hex(charts[0] as Buffer)),
    });
    t.equal(res.statusCode, 201, res.body);
    t.equal(lookups.filter((sql) => /unnest/.test(sql)).length, 1, 'one lookup for the listed file');
  });

  t.test(`${engine}: two charts with one package file name never share a repository`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    // Chart "a" 1.0.0-1.0.0 and chart "a-1.0.0" 1.0.0 are both a-1.0.0-1.0.0.tgz.
    const a = makeChart({ name: 'a', version: '1.0.0-1.0.0' });
    const twin = makeChart({ name: 'a-1.0.0', version: '1.0.0' });
    t.equal((await f.upload('wsregular', a)).statusCode, 201);
    const refused = await f.upload('wsregular', twin);
    t.equal(refused.statusCode, 409, 'the second is refused in the workspace');
    t.match(refused.json(), {
      code: 'version-exists',
      detail: /^a-1\.0\.0-1\.0\.0\.tgz already exists in this workspace: it is chart "a" version 1\.0\.0-1\.0\.0/,
    });
    const cm = await app.inject({
      method: 'POST',
      url: '/api/workspaces/demo/charts',
      headers: { ...auth, 'content-type': 'application/gzip' },
      payload: twin,
    });
    t.equal(cm.statusCode, 409, 'over the ChartMuseum API too');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 }, 'nothing of the twin is kept');
    const file = await app.inject({ url: '/workspaces/demo/charts/a-1.0.0-1.0.0.tgz', headers: auth });
    t.equal(sha256Hex(file.rawPayload), sha256Hex(a), 'the file name has one package');

    // Across workspaces each repository is fine on its own, but the store is one repository.
    await f.release('a', '1.0.0-1.0.0');
    const other = await createWorkspace(app, 'other');
    const call = (method: 'POST' | 'PATCH', url: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method, url, payload: payload as string, headers: { ...auth, ...headers } });
    const up = await call('POST', `/api/workspaces/${other}/charts`, twin, { 'content-type': 'application/gzip' });
    t.equal(up.statusCode, 201, 'another workspace may hold the twin');
    const base = `/api/v1/workspaces/${other}/apps/a-1.0.0`;
    t.equal((await call('PATCH', base, { category: 'uncategorized' })).statusCode, 200);
    for (const action of ['submit', 'pass']) {
      t.equal((await call('POST', `${base}/versions/1.0.0/actions`, { action })).statusCode, 200, action);
    }
    const release = await call('POST', `${base}/versions/1.0.0/actions`, { action: 'release' });
    t.equal(release.statusCode, 409, 'but not release it to the store');
    t.match(release.json(), {
      code: 'conflict',
      detail: /a-1\.0\.0-1\.0\.0\.tgz already exists in the store: it is chart "a" version 1\.0\.0-1\.0\.0/,
    });
    const state = await app.inject({ url: `${base}/versions/1.0.0`, headers: auth });
    t.equal(state.json().state, 'passed', 'the version stays as it was');
    const stored = await app.inject({ url: '/store/charts/a-1.0.0-1.0.0.tgz' });
    t.equal(sha256Hex(stored.rawPayload), sha256Hex(a), 'the store still serves the one package of that name');

    // A suspended one can come back, so it holds the name too; deleted, it frees it.
    t.equal((await f.act('reviewer', 'a', '1.0.0-1.0.0', 'suspend')).statusCode, 200);
    t.equal((await call('POST', `${base}/versions/1.0.0/actions`, { action: 'release' })).statusCode, 409);
    t.equal((await f.people.as('wsregular', 'DELETE', f.url('a', '/versions/1.0.0-1.0.0'))).statusCode, 204);
    t.equal((await call('POST', `${base}/versions/1.0.0/actions`, { action: 'release' })).statusCode, 200);
  });

  t.test(`${engine}: store downloads look up once, and odd names not at all`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    await f.release('foo-bar', '1.0.0-rc.1');
    const lookups = versionLookups(app);
    let res = await app.inject({ url: '/store/charts/foo-bar-1.0.0-rc.1.tgz' });
    t.equal(res.statusCode, 200);
    t.equal(lookups.length, 1, 'one lookup for a real download');

    lookups.length = 0;
    const started = Date.now();
    res = await app.inject({ url: `/store/charts/${LONG_STORE_NAME}` });
    const took = Date.now() - started;
    t.equal(res.statusCode, 404, 'anonymous, 497 characters: not found');
    t.equal(res.json().code, 'not-found');
    t.equal(lookups.length, 0, 'without a lookup');
    t.ok(took < 2000, `answered in ${took} ms`);
  });
}
