// requires: helm, corpus, upstreams
// Importing third-party repositories (SPEC section 12) from upstreams nobody here wrote,
// started by the test: a classic repository indexed by real `helm repo index` (helm 3
// and 4) on Python's static file server, the same behind nginx with Basic auth, another
// Chartroom's store, and Debian's docker-registry with charts pushed by real `helm push`.
// Syncs run in the app's own scheduler; the test follows them through the API.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { adminAuth, createWorkspace, tempDir, testApp } from '../helpers/app.js';
import { corpusDir, engines, stores, type Engine, type Store } from '../helpers/env.js';
import { helmBinaries, makeHelm, type Helm } from '../helpers/helm.js';
import { nginxWithAuth, ociRegistry, staticServer } from '../helpers/upstreams.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const SECRET_KEY = 'test-secret-key-of-at-least-32-characters!';
const IMPORT_ENV = { CHARTROOM_IMPORT_ALLOW_PRIVATE: 'true', CHARTROOM_SECRET_KEY: SECRET_KEY };

interface RepoJson {
  name: string;
  status: string;
  lastError: string | null;
  lastSyncAt: string | null;
  nextSyncAt: string;
  hasCredentials: boolean;
  counts: { imported: number; failed: number; goneUpstream: number };
  [k: string]: unknown;
}
interface EventJson {
  kind: string;
  chart: string | null;
  version: string | null;
  message: string;
}

function client(app: FastifyInstance, ws: string) {
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: adminAuth },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
  };
  const base = `/api/v1/workspaces/${ws}/repos`;
  return {
    call,
    async add(body: Record<string, unknown>): Promise<RepoJson> {
      const res = await call('POST', base, body);
      if (res.status !== 201) throw new Error(`adding ${JSON.stringify(body.name)}: ${res.status} ${res.body}`);
      return res.json() as unknown as RepoJson;
    },
    async get(name: string): Promise<RepoJson> {
      const res = await call('GET', `${base}/${name}`);
      if (res.status !== 200) throw new Error(`GET repo ${name}: ${res.status} ${res.body}`);
      return res.json() as unknown as RepoJson;
    },
    /** Waits for the sync in progress (or the first one) to end; returns the repository then. */
    async settled(name: string, after: string | null = null): Promise<RepoJson> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await this.get(name);
        if ((r.status === 'successful' || r.status === 'failed') && r.lastSyncAt !== after) return r;
        if (Date.now() > deadline) throw new Error(`repository ${name} still ${r.status}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    async sync(name: string): Promise<RepoJson> {
      const before = (await this.get(name)).lastSyncAt;
      const res = await call('POST', `${base}/${name}/sync`);
      if (res.status !== 202) throw new Error(`sync ${name}: ${res.status} ${res.body}`);
      return this.settled(name, before);
    },
    async events(name: string): Promise<EventJson[]> {
      const res = await call('GET', `${base}/${name}/events?limit=200`);
      if (res.status !== 200) throw new Error(`events ${name}: ${res.status} ${res.body}`);
      return (res.json().items as EventJson[]).reverse(); // oldest first reads more naturally
    },
    async versions(app_: string): Promise<Array<{ version: string; state: string; digest: string }>> {
      const res = await call('GET', `/api/v1/workspaces/${ws}/apps/${app_}/versions`);
      if (res.status !== 200) return [];
      return res.json().items as Array<{ version: string; state: string; digest: string }>;
    },
  };
}

async function copyCharts(dir: string, files: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of files) {
    const bytes = await fs.readFile(path.join(corpusDir(), 'charts', f));
    await fs.writeFile(path.join(dir, f), bytes);
    out.set(f, bytes);
  }
  return out;
}

const FIRST = ['redis-17.11.6.tgz', 'memcached-6.0.22.tgz', 'argo-cd-2.2.4.tgz', 'argo-cd-2.2.16.tgz'];

async function helms(t: Test): Promise<{ helm3: Helm; helm4: Helm }> {
  const [h3, h4] = helmBinaries();
  return { helm3: await makeHelm(t, h3!.label, h3!.bin), helm4: await makeHelm(t, h4!.label, h4!.bin) };
}

const setups: Array<[Engine, Store]> = [['pglite', 'disk']];
if (engines().includes('postgres') && stores().includes('s3')) setups.push(['postgres', 's3']);

for (const [engine, store] of setups) {
  t.test(`a classic repository indexed by helm 3, on a static server (${engine} + ${store})`, async (t) => {
    const { app } = await testApp(t, { engine, store, env: IMPORT_ENV });
    const ws = await createWorkspace(app);
    const c = client(app, ws);
    const dir = await tempDir(t, 'chartroom-upstream-');
    const charts = await copyCharts(dir, FIRST);
    const { helm3 } = await helms(t);
    // Each index written gets its own modification time, seconds apart and in the past,
    // as files edited over time have (Last-Modified has one-second resolution).
    let edits = 0;
    const reindex = async () => {
      await helm3.run(['repo', 'index', dir]); // relative chart URLs
      const when = new Date(Date.now() - 100_000 + 10_000 * edits++);
      await fs.utimes(path.join(dir, 'index.yaml'), when, when);
    };
    await reindex();
    const upstream = await staticServer(t, dir);

    const added = await c.add({ name: 'upstream', url: upstream.url });
    t.equal(added.hasCredentials, false);
    const synced = await c.settled('upstream');
    t.equal(synced.status, 'successful', synced.lastError ?? '');
    t.same(synced.counts, { imported: 4, failed: 0, goneUpstream: 0 });

    // Every version arrived as a draft with the upstream's exact bytes, as an app template.
    for (const [file, bytes] of charts) {
      const [, name, version] = /^(.+)-(\d+\.\d+\.\d+)\.tgz$/.exec(file) as RegExpExecArray;
      const v = (await c.versions(name!)).find((x) => x.version === version);
      t.equal(v?.state, 'draft', `${file} is a draft`);
      t.equal(v?.digest, sha(bytes), `${file} has the upstream digest`);
      const pkg = await app.inject({ url: `/workspaces/${ws}/charts/${file}`, headers: { authorization: adminAuth } });
      t.equal(pkg.statusCode, 200);
      t.ok(Buffer.from(pkg.rawPayload).equals(bytes), `${file} is served byte for byte`);
    }
    const audit = await c.call('GET', `/api/v1/workspaces/${ws}/apps/redis/events`);
    const trail = audit.json().items as Array<{ action: string; actor: string; message: string }>;
    t.match(trail[0], { action: 'import', actor: 'repository:upstream', message: /upstream.*redis-17\.11\.6\.tgz/ });
    const imported = (await c.events('upstream')).filter((e) => e.kind === 'imported');
    t.equal(imported.length, 4, 'one imported event per version');

    // The seed's walk-through for an imported chart: category, submit, pass, release.
    t.equal((await c.call('PATCH', `/api/v1/workspaces/${ws}/apps/redis`, { category: 'uncategorized' })).status, 200);
    for (const action of ['submit', 'pass', 'release']) {
      const r = await c.call('POST', `/api/v1/workspaces/${ws}/apps/redis/versions/17.11.6/actions`, { action });
      t.equal(r.status, 200, `${action}: ${r.body}`);
    }
    const storeIndex = await app.inject({ url: '/store/index.yaml' });
    t.match(storeIndex.body, /17\.11\.6/, 'released to the store');

    // An imported version is not replaced by an upload.
    const replace = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts?force=true`,
      headers: { authorization: adminAuth, 'content-type': 'application/octet-stream' },
      payload: charts.get('memcached-6.0.22.tgz'),
    });
    t.equal(replace.statusCode, 409);
    t.match(replace.json(), { error: /imported from repository "upstream"/ });

    // Unchanged upstream: a conditional fetch, nothing downloaded.
    const again = await c.sync('upstream');
    t.equal(again.status, 'successful');
    t.equal((await c.events('upstream')).at(-1)?.kind, 'unchanged', 'the index was not read again');

    // Upstream publishes one more version and drops one: only the new one is fetched,
    // the dropped one stays and is reported once.
    await copyCharts(dir, ['redis-17.14.6.tgz']);
    await fs.rm(path.join(dir, 'argo-cd-2.2.4.tgz'));
    await reindex();
    const third = await c.sync('upstream');
    t.same(third.counts, { imported: 5, failed: 0, goneUpstream: 1 });
    const events = await c.events('upstream');
    t.equal(events.filter((e) => e.kind === 'imported').length, 5, 'nothing imported twice');
    t.same(
      events.filter((e) => e.kind === 'gone-upstream').map((e) => `${e.chart} ${e.version}`),
      ['argo-cd 2.2.4'],
    );
    t.equal((await c.versions('argo-cd')).length, 2, 'a version gone upstream stays');

    // A version whose served bytes are not the ones the index lists is refused.
    const memcached5 = await fs.readFile(path.join(corpusDir(), 'charts', 'memcached-5.13.7.tgz'));
    await fs.writeFile(path.join(dir, 'memcached-5.13.7.tgz'), memcached5);
    await reindex();
    await fs.writeFile(path.join(dir, 'memcached-5.13.7.tgz'), Buffer.concat([memcached5, Buffer.from([0])]));
    const fourth = await c.sync('upstream');
    t.equal(fourth.status, 'successful', 'one bad version does not fail the sync');
    t.equal(fourth.counts.failed, 1);
    const mismatch = (await c.events('upstream')).find((e) => e.kind === 'failed' && e.version === '5.13.7');
    t.match(mismatch?.message, /digest mismatch: the index says sha256:[0-9a-f]{64}, the download is sha256:/);
    t.notOk(
      (await c.versions('memcached')).some((v) => v.version === '5.13.7'),
      'not imported',
    );

    // The upstream goes away: failed, with backoff; back again: recovered.
    await upstream.stop();
    const down = await c.sync('upstream');
    t.equal(down.status, 'failed');
    t.match(down.lastError, /127\.0\.0\.1/);
    const wait = Date.parse(down.nextSyncAt) - Date.now();
    t.ok(wait > 30_000 && wait <= 61_000, `retried after about 60 s (${wait} ms)`);
    await upstream.start();
    const up = await c.sync('upstream');
    t.equal(up.status, 'successful', up.lastError ?? '');
    t.equal(up.lastError, null);

    // Removing the repository keeps what it imported, as ordinary versions.
    t.equal((await c.call('DELETE', `/api/v1/workspaces/${ws}/repos/upstream`)).status, 204);
    t.equal((await c.call('GET', `/api/v1/workspaces/${ws}/repos/upstream`)).status, 404);
    t.equal((await c.versions('redis')).length, 2, 'imported versions stay');
    const replaced = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts?force=true`,
      headers: { authorization: adminAuth, 'content-type': 'application/octet-stream' },
      payload: charts.get('memcached-6.0.22.tgz'),
    });
    t.equal(replaced.statusCode, 201, 'and can be replaced by an upload now');
  });
}

t.test('helm 4 absolute URLs behind nginx with Basic auth; credentials stay secret', async (t) => {
  const lines: string[] = [];
  const { app, db } = await testApp(t, { env: IMPORT_ENV, logLines: lines });
  const ws = await createWorkspace(app);
  const c = client(app, ws);
  const dir = await tempDir(t, 'chartroom-upstream-');
  await copyCharts(dir, ['redis-17.11.6.tgz', 'memcached-6.0.22.tgz']);
  const password = 'S3cret-upstream-pass-word';
  const nginx = await nginxWithAuth(t, dir, 'puller', password);
  const { helm4 } = await helms(t);
  await helm4.run(['repo', 'index', dir, '--url', nginx.url.replace(/\/$/, '')]);
  t.match(
    await fs.readFile(path.join(dir, 'index.yaml'), 'utf8'),
    /- http:\/\/127\.0\.0\.1:\d+\/charts\/redis-17\.11\.6\.tgz/,
  );

  const wrong = await c.add({ name: 'private', url: nginx.url, username: 'puller', password: 'not-the-password' });
  t.equal(wrong.hasCredentials, true);
  t.notOk(JSON.stringify(wrong).includes('not-the-password'), 'the password is not in the answer');
  const failed = await c.settled('private');
  t.equal(failed.status, 'failed');
  t.match(failed.lastError, /401/);
  const row = await db.query<{ credentials: Buffer }>('SELECT credentials FROM import_repos');
  t.notOk(Buffer.from(row[0]!.credentials).includes('not-the-password'), 'encrypted at rest');

  const fixed = await c.call('PATCH', `/api/v1/workspaces/${ws}/repos/private`, { username: 'puller', password });
  t.equal(fixed.status, 200, fixed.body);
  t.notOk(fixed.body.includes(password));
  const ok = await c.sync('private');
  t.equal(ok.status, 'successful', ok.lastError ?? '');
  t.equal(ok.counts.imported, 2);
  const everything = JSON.stringify([
    await c.events('private'),
    (await c.call('GET', `/api/v1/workspaces/${ws}/repos`)).body,
    lines,
  ]);
  t.ok(
    lines.some((l) => l.includes('repository sync failed')),
    'the log was captured',
  );
  t.notOk(everything.includes(password) || everything.includes('not-the-password'), 'no password anywhere');
  const log = await fs.readFile(nginx.logFile, 'utf8');
  t.match(log, /"GET \/charts\/index\.yaml HTTP\/1\.1" 200/, 'nginx served the index after the right password');
});

t.test(
  'versions refused for credentials are tried again once the repository changes; another origin gets none',
  async (t) => {
    const { app } = await testApp(t, { env: IMPORT_ENV });
    const ws = await createWorkspace(app);
    const c = client(app, ws);
    const chart = (await copyCharts(await tempDir(t, 'chartroom-upstream-'), ['memcached-6.0.22.tgz'])).get(
      'memcached-6.0.22.tgz',
    )!;
    const index = [
      'apiVersion: v1',
      'entries:',
      '  memcached:',
      '  - apiVersion: v2',
      '    name: memcached',
      '    version: 6.0.22',
      `    digest: ${sha(chart)}`,
      '    urls: [memcached-6.0.22.tgz?sig=presigned-secret]', // a presigned URL's signature
      '',
    ].join('\n');
    const http = await import('node:http');
    /** An upstream whose index is public and whose chart needs Basic puller:right-password; it notes what it was sent. */
    const upstream = async () => {
      const seen: Array<{ url: string; authorization: string | undefined }> = [];
      const server = http.createServer((req, res) => {
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
        if (req.url?.endsWith('/index.yaml')) return res.writeHead(200, { 'content-type': 'text/yaml' }).end(index);
        if (req.headers.authorization !== `Basic ${Buffer.from('puller:right-password').toString('base64')}`) {
          return res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
        }
        res.writeHead(200, { 'content-type': 'application/gzip' }).end(chart);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      t.teardown(() => {
        server.closeAllConnections();
        server.close();
      });
      const { port } = server.address() as { port: number };
      return { url: `http://127.0.0.1:${port}/charts/`, seen };
    };
    const first = await upstream();
    await c.add({ name: 'guarded', url: first.url, username: 'puller', password: 'wrong-password' });
    let repo = await c.settled('guarded');
    t.match(repo, { status: 'successful', counts: { imported: 0, failed: 1 } }, 'the chart is refused with 401');
    const downloads = () => first.seen.filter((s) => s.url.includes('.tgz')).length;
    const tried = downloads();
    repo = await c.sync('guarded');
    t.equal(downloads(), tried, 'a refusal for credentials is not retried while nothing changes');

    t.equal(
      (
        await c.call('PATCH', '/api/v1/workspaces/' + ws + '/repos/guarded', {
          password: 'right-password',
          username: 'puller',
        })
      ).status,
      200,
    );
    repo = await c.sync('guarded');
    t.match(repo, { counts: { imported: 1, failed: 0 } }, 'new credentials: the version is tried again, and imported');
    const told = JSON.stringify([
      await c.events('guarded'),
      (await c.call('GET', `/api/v1/workspaces/${ws}/apps/memcached/events`)).json(),
    ]);
    t.match(told, /memcached-6\.0\.22\.tgz\?…/, 'the source is named');
    t.notOk(told.includes('presigned-secret'), 'without its query string');

    // Same origin, another path: the credentials stay. Another origin: they go.
    const samePlace = first.url.replace('/charts/', '/mirror/');
    let moved = await c.call('PATCH', `/api/v1/workspaces/${ws}/repos/guarded`, { url: samePlace });
    t.equal(moved.json().hasCredentials, true, 'same origin keeps the credentials');
    const second = await upstream();
    moved = await c.call('PATCH', `/api/v1/workspaces/${ws}/repos/guarded`, { url: second.url });
    t.equal(moved.json().hasCredentials, false, 'another origin drops them');
    await c.sync('guarded');
    t.ok(second.seen.length > 0, 'the new origin was read');
    t.notOk(
      second.seen.some((s) => s.authorization !== undefined),
      'and was sent no credentials',
    );
    moved = await c.call('PATCH', `/api/v1/workspaces/${ws}/repos/guarded`, {
      url: first.url,
      username: 'puller',
      password: 'right-password',
    });
    t.equal(moved.json().hasCredentials, true, 'credentials given with the move are kept');
  },
);

t.test('another Chartroom store as a trusted upstream: released straight to this store', async (t) => {
  const upstreamApp = (await testApp(t)).app;
  const uws = await createWorkspace(upstreamApp, 'vendor');
  const bytes = await fs.readFile(path.join(corpusDir(), 'charts', 'memcached-6.0.22.tgz'));
  const up = await upstreamApp.inject({
    method: 'POST',
    url: `/api/workspaces/${uws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/octet-stream' },
    payload: bytes,
  });
  t.equal(up.statusCode, 201, up.body);
  const uc = client(upstreamApp, uws);
  await uc.call('PATCH', `/api/v1/workspaces/${uws}/apps/memcached`, { category: 'uncategorized' });
  for (const action of ['submit', 'pass', 'release']) {
    t.equal(
      (await uc.call('POST', `/api/v1/workspaces/${uws}/apps/memcached/versions/6.0.22/actions`, { action })).status,
      200,
    );
  }
  await upstreamApp.listen({ port: 0, host: '127.0.0.1' });
  const address = upstreamApp.server.address() as { port: number };

  const { app } = await testApp(t, { env: IMPORT_ENV });
  const ws = await createWorkspace(app);
  const c = client(app, ws);
  await c.add({ name: 'mirror', url: `http://127.0.0.1:${address.port}/store/`, trusted: true });
  const synced = await c.settled('mirror');
  t.equal(synced.status, 'successful', synced.lastError ?? '');
  const [v] = await c.versions('memcached');
  t.equal(v?.state, 'active', 'released without review');
  t.equal(v?.digest, sha(bytes));
  const storeIndex = await app.inject({ url: '/store/index.yaml' });
  t.match(storeIndex.body, /memcached/);
  const trail = (await c.call('GET', `/api/v1/workspaces/${ws}/apps/memcached/events`)).json().items as Array<{
    action: string;
    actor: string;
  }>;
  t.same(
    trail.map((e) => `${e.action} by ${e.actor}`),
    ['release by repository:mirror', 'edit by repository:mirror', 'import by repository:mirror'],
  );
  t.ok((await c.events('mirror')).some((e) => e.kind === 'released'));
});

t.test('an OCI chart in docker-registry, pushed by helm', async (t) => {
  const registry = await ociRegistry(t);
  const { helm3 } = await helms(t);
  const charts = path.join(corpusDir(), 'charts');
  for (const f of ['redis-17.11.6.tgz', 'redis-17.14.6.tgz']) {
    await helm3.run(['push', path.join(charts, f), `oci://${registry.host}/charts`, '--plain-http']);
  }
  const { app } = await testApp(t, { env: IMPORT_ENV });
  const ws = await createWorkspace(app);
  const c = client(app, ws);
  // A version the workspace already has (uploaded by hand) is left alone, until it is deleted.
  const uploaded = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/octet-stream' },
    payload: await fs.readFile(path.join(charts, 'redis-17.14.6.tgz')),
  });
  t.equal(uploaded.statusCode, 201);
  const added = await c.add({ name: 'redis-oci', url: `oci://${registry.host}/charts/redis`, plainHttp: true });
  t.equal(added.kind, 'oci');
  const first = await c.settled('redis-oci');
  t.equal(first.status, 'successful', first.lastError ?? '');
  t.equal(first.counts.imported, 1);
  t.same(
    (await c.events('redis-oci')).filter((e) => e.kind === 'skipped').map((e) => e.version),
    ['17.14.6'],
  );
  const removed = await c.call('DELETE', `/api/v1/workspaces/${ws}/apps/redis/versions/17.14.6`);
  t.equal(removed.status, 204, removed.body);
  const synced = await c.sync('redis-oci');
  t.equal(synced.counts.imported, 2, 'imported once the workspace no longer has it');
  const versions = await c.versions('redis');
  t.same(versions.map((v) => v.version).sort(), ['17.11.6', '17.14.6']);
  for (const v of versions) {
    t.equal(
      v.digest,
      sha(await fs.readFile(path.join(charts, `redis-${v.version}.tgz`))),
      `${v.version} byte for byte`,
    );
  }
  const again = await c.sync('redis-oci');
  t.equal(again.counts.imported, 2, 'nothing imported twice');

  // What operators watch (docs/operations.md): syncs, index refreshes, sweeps.
  await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: { authorization: adminAuth } });
  // The counter moves just after the status the test waited for: give it a moment.
  const deadline = Date.now() + 30_000;
  let metrics = (await app.inject({ url: '/metrics' })).body;
  while (!/chartroom_import_sync_seconds_count 3/.test(metrics) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    metrics = (await app.inject({ url: '/metrics' })).body;
  }
  t.match(metrics, /chartroom_import_syncs_total\{outcome="successful"\} 3/, 'three syncs');
  t.match(metrics, /chartroom_import_sync_seconds_count 3/);
  t.match(metrics, /chartroom_import_repositories_failing 0/);
  t.match(metrics, /chartroom_index_refresh_seconds_count\{repository="workspace"\} [1-9]/);
  t.match(metrics, /chartroom_index_fragments_rendered_total\{repository="workspace"\} [1-9]/);
  t.match(metrics, /chartroom_blob_sweeps_total\{outcome="ok"\} 1/, 'the sweep at start ran');
});

t.test('refusals: private addresses, credentials without a key, bad input, oversized index', async (t) => {
  const strict = await testApp(t); // neither CHARTROOM_IMPORT_ALLOW_PRIVATE nor a secret key
  const ws = await createWorkspace(strict.app);
  const c = client(strict.app, ws);
  const dir = await tempDir(t, 'chartroom-upstream-');
  await fs.writeFile(path.join(dir, 'index.yaml'), 'apiVersion: v1\nentries: {}\n');
  const upstream = await staticServer(t, dir);
  await c.add({ name: 'local', url: upstream.url });
  const refused = await c.settled('local');
  t.equal(refused.status, 'failed');
  t.match(refused.lastError, /127\.0\.0\.1 is a loopback address.*CHARTROOM_IMPORT_ALLOW_PRIVATE/);

  const withCreds = await c.call('POST', `/api/v1/workspaces/${ws}/repos`, {
    name: 'secret',
    url: upstream.url,
    username: 'u',
    password: 'p',
  });
  t.equal(withCreds.status, 400);
  t.match(withCreds.json(), { detail: /CHARTROOM_SECRET_KEY/ });
  for (const [body, message] of [
    [{ name: 'x', url: 'ftp://example.com/' }, /http:\/\/, https:\/\/ or oci:\/\//],
    [{ name: 'x', url: 'https://user:pw@example.com/' }, /must not hold credentials/],
    [{ name: 'x', url: 'oci://example.com' }, /oci:\/\/host\[:port\]\/path\/chart/],
    [{ name: 'Bad Name', url: 'https://example.com/' }, /./],
    [{ name: 'x', url: 'https://example.com/', syncInterval: 60 }, /./],
    [{ name: 'x', url: 'https://example.com/', username: 'only-user' }, /both username and password/],
  ] as const) {
    const res = await c.call('POST', `/api/v1/workspaces/${ws}/repos`, body);
    t.equal(res.status, 400, `${JSON.stringify(body)} refused`);
    t.match(res.json(), { detail: message });
  }
  // A workspace admin without app-templates.manage cannot make a repository skip review.
  const users = await strict.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: { authorization: adminAuth },
    payload: { username: 'wsadmin', password: 'wsadmin-password-1', role: 'platform-regular' },
  });
  t.equal(users.statusCode, 201, users.body);
  const member = await strict.app.inject({
    method: 'PUT',
    url: `/api/v1/workspaces/${ws}/members/wsadmin`,
    headers: { authorization: adminAuth },
    payload: { role: 'workspace-admin' },
  });
  t.equal(member.statusCode, 201, member.body);
  const wsadmin = `Basic ${Buffer.from('wsadmin:wsadmin-password-1').toString('base64')}`;
  for (const [method, url, payload] of [
    ['POST', `/api/v1/workspaces/${ws}/repos`, { name: 'sneaky', url: upstream.url, trusted: true }],
    ['PATCH', `/api/v1/workspaces/${ws}/repos/local`, { trusted: true }],
  ] as const) {
    const res = await strict.app.inject({ method, url, payload, headers: { authorization: wsadmin } });
    t.equal(res.statusCode, 403, `${method} trusted by a workspace admin`);
    t.match(res.json(), { detail: /app-templates\.manage/ });
  }
  const plain = await strict.app.inject({
    method: 'PATCH',
    url: `/api/v1/workspaces/${ws}/repos/local`,
    payload: { syncInterval: 600 },
    headers: { authorization: wsadmin },
  });
  t.equal(plain.statusCode, 200, 'the workspace admin manages the rest');
  t.equal(plain.json().syncInterval, 600);

  // Once a reviewer trusts it, its source stays where the reviewer saw it.
  const trust = await c.call('PATCH', `/api/v1/workspaces/${ws}/repos/local`, { trusted: true });
  t.equal(trust.status, 200, 'a reviewer trusts the repository');
  const asWsadmin = (payload: object) =>
    strict.app.inject({
      method: 'PATCH',
      url: `/api/v1/workspaces/${ws}/repos/local`,
      payload,
      headers: { authorization: wsadmin },
    });
  for (const payload of [{ url: 'https://elsewhere.example/charts/' }, { plainHttp: true }]) {
    const res = await asWsadmin(payload);
    t.equal(res.statusCode, 403, `${JSON.stringify(payload)} on a trusted repository, by a workspace admin`);
    t.match(res.json(), { code: 'forbidden', detail: /"local" is trusted.*app-templates\.manage/ });
  }
  t.match(
    (await c.call('GET', `/api/v1/workspaces/${ws}/repos/local`)).json(),
    { url: upstream.url, plainHttp: false, trusted: true },
    'the refused changes left it as it was',
  );
  t.equal((await asWsadmin({ url: upstream.url, syncInterval: 900 })).statusCode, 200, 'the same url is no move');
  const untrusted = await asWsadmin({ url: 'https://elsewhere.example/charts/', trusted: false });
  t.equal(untrusted.statusCode, 200, 'moving it while dropping the trust is allowed');
  t.match(untrusted.json(), { url: 'https://elsewhere.example/charts/', trusted: false });

  const dup = await c.call('POST', `/api/v1/workspaces/${ws}/repos`, { name: 'local', url: upstream.url });
  t.equal(dup.status, 409);
  const count = await strict.db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_repos');
  t.equal(count[0]?.n, 1, 'refused repositories left no row');

  // An upstream whose index never ends is cut at the limit.
  const { app } = await testApp(t, { env: { ...IMPORT_ENV, CHARTROOM_IMPORT_MAX_INDEX_MB: '1' } });
  const ws2 = await createWorkspace(app);
  const c2 = client(app, ws2);
  const http = await import('node:http');
  const endless = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-yaml' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (res.write(chunk)) {
        /* until the socket pushes back */
      }
    };
    res.on('drain', pump);
    pump();
  });
  await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    endless.closeAllConnections();
    endless.close();
  });
  const port = (endless.address() as { port: number }).port;
  await c2.add({ name: 'endless', url: `http://127.0.0.1:${port}/` });
  const cut = await c2.settled('endless');
  t.equal(cut.status, 'failed');
  t.match(cut.lastError, /larger than 1 MiB/);

  // A small YAML index whose aliases list 300,000 versions, and one that is not YAML.
  const bombDir = await tempDir(t, 'chartroom-upstream-');
  const items = Array.from({ length: 1000 }, (_, i) => `  - {name: a, version: 1.0.${i}, urls: [a-1.0.${i}.tgz]}`);
  const keys = Array.from({ length: 300 }, (_, i) => `  k${i}: *x`);
  await fs.writeFile(
    path.join(bombDir, 'index.yaml'),
    `apiVersion: v1\nlist: &x\n${items.join('\n')}\nentries:\n${keys.join('\n')}\n`,
  );
  const badDir = await tempDir(t, 'chartroom-upstream-');
  await fs.writeFile(path.join(badDir, 'index.yaml'), 'entries: [unclosed\n');
  for (const [name, dir, message] of [
    ['bomb', bombDir, /more than 200000 versions/],
    ['garbage', badDir, /not valid YAML or JSON/],
  ] as const) {
    const server = await staticServer(t, dir);
    await c2.add({ name, url: server.url });
    const r = await c2.settled(name);
    t.equal(r.status, 'failed', name);
    t.match(r.lastError, message);
  }
  t.equal((await c2.call('GET', '/healthz')).status, 200, 'the server is fine');
});
