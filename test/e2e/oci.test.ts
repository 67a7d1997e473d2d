// requires: helm, oci, corpus
// The OCI registry with real clients nobody here wrote (helm 3 and 4, oras, crane),
// against Chartroom as a process, on both set-ups: a push is an upload through the
// lifecycle, every version is pullable however it arrived, the store shows exactly the
// store's versions, blobs never leak across repositories, and chunked uploads work.
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminAuth, ADMIN_PASSWORD, tempDir } from '../helpers/app.js';
import { corpusDir, engines, need, stores, type Engine, type Store } from '../helpers/env.js';
import { helmBinaries, makeHelm } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function run(bin: string, args: string[], home: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { env: { PATH: process.env.PATH ?? '', HOME: home, NO_PROXY: '*' }, cwd: home, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const setups: Array<[Engine, Store]> = [['pglite', 'disk']];
if (engines().includes('postgres') && stores().includes('s3')) setups.push(['postgres', 's3']);

for (const [engine, store] of setups) {
  t.test(`${engine} + ${store}`, async (t) => {
    const server = await startServer(t, await serverEnv(t, engine, store));
    const host = server.url.replace(/^http:\/\//, '');
    const api = async (method: string, p: string, body?: unknown, auth = adminAuth, type = 'application/json') =>
      fetch(`${server.url}${p}`, {
        method,
        headers: { authorization: auth, 'content-type': type },
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
      });
    const ok = async (res: Promise<Response>, what: string) => {
      const r = await res;
      if (r.status >= 300) throw new Error(`${what}: ${r.status} ${await r.text()}`);
      return r;
    };
    await ok(api('POST', '/api/v1/workspaces', { name: 'demo' }), 'workspace');
    await ok(api('POST', '/api/v1/workspaces', { name: 'other' }), 'workspace');
    for (const u of ['viewer', 'outsider']) {
      await ok(api('POST', '/api/v1/users', { username: u, password: `${u}-password-1`, role: 'platform-regular' }), u);
    }
    await ok(api('PUT', '/api/v1/workspaces/demo/members/viewer', { role: 'workspace-viewer' }), 'member');
    await ok(api('PUT', '/api/v1/workspaces/other/members/outsider', { role: 'workspace-regular' }), 'member');
    const outsider = basic('outsider', 'outsider-password-1');

    const charts = path.join(corpusDir(), 'charts');
    const redis = await fs.readFile(path.join(charts, 'redis-17.11.6.tgz'));
    const memcached = await fs.readFile(path.join(charts, 'memcached-6.0.22.tgz'));
    const argo = await fs.readFile(path.join(charts, 'argo-cd-2.2.16.tgz'));
    const work = await tempDir(t);
    const [h3, h4] = helmBinaries();
    const helm3 = await makeHelm(t, h3!.label, h3!.bin);
    const helm4 = await makeHelm(t, h4!.label, h4!.bin);
    const login = ['--username', 'admin', '--password', ADMIN_PASSWORD];

    t.test('helm push is an upload: a draft, its audit event, the same bytes back', async (t) => {
      await helm3.run(['registry', 'login', host, ...login, '--insecure']);
      await helm4.run(['registry', 'login', host, ...login, '--plain-http']);
      const pushed = await helm3.attempt([
        'push',
        path.join(charts, 'redis-17.11.6.tgz'),
        `oci://${host}/workspaces/demo`,
        '--plain-http',
      ]);
      t.equal(pushed.code, 0, pushed.stderr);
      t.match(pushed.stdout + pushed.stderr, /Pushed: .*workspaces\/demo\/redis:17\.11\.6/);
      await helm4.run([
        'push',
        path.join(charts, 'memcached-6.0.22.tgz'),
        `oci://${host}/workspaces/demo`,
        '--plain-http',
      ]);

      const version = await (await ok(api('GET', '/api/v1/workspaces/demo/apps/redis/versions/17.11.6'), 'v')).json();
      t.match(version, { state: 'draft', digest: sha(redis), uploadedBy: 'admin' }, 'a draft holding the pushed bytes');
      const events = await (await ok(api('GET', '/api/v1/workspaces/demo/apps/redis/events'), 'events')).json();
      t.ok(
        (events.items as Array<{ action: string }>).some((e) => e.action === 'upload'),
        'the same audit event as any upload',
      );
      // The Helm repository serves the same blob: one blob, both protocols.
      const pkg = await ok(api('GET', '/workspaces/demo/charts/redis-17.11.6.tgz'), 'package');
      t.ok(Buffer.from(await pkg.arrayBuffer()).equals(redis), 'the Helm repository serves the pushed bytes');

      for (const [helm, chart, bytes] of [
        [helm3, 'redis', redis],
        [helm4, 'memcached', memcached],
      ] as const) {
        const dir = path.join(work, `${helm.label}-${chart}`);
        await fs.mkdir(dir, { recursive: true });
        const version = chart === 'redis' ? '17.11.6' : '6.0.22';
        await helm.run([
          'pull',
          `oci://${host}/workspaces/demo/${chart}`,
          '--version',
          version,
          '--plain-http',
          '-d',
          dir,
        ]);
        t.ok(
          (await fs.readFile(path.join(dir, `${chart}-${version}.tgz`))).equals(bytes),
          `${helm.label} pulls it back byte for byte`,
        );
      }
      t.match(
        await helm4.run([
          'show',
          'chart',
          `oci://${host}/workspaces/demo/redis`,
          '--version',
          '17.11.6',
          '--plain-http',
        ]),
        /name: redis/,
      );
      // Pushing the same chart again changes nothing.
      await helm3.run([
        'push',
        path.join(charts, 'redis-17.11.6.tgz'),
        `oci://${host}/workspaces/demo`,
        '--plain-http',
      ]);
      const events2 = await (await ok(api('GET', '/api/v1/workspaces/demo/apps/redis/events'), 'events')).json();
      t.equal(events2.items.length, events.items.length, 'no new event for the same manifest');
    });

    t.test('a push of an existing version replaces only a draft or rejected one', async (t) => {
      await ok(api('PATCH', '/api/v1/workspaces/demo/apps/redis', { category: 'uncategorized' }), 'category');
      await ok(
        api('POST', '/api/v1/workspaces/demo/apps/redis/versions/17.11.6/actions', { action: 'submit' }),
        'submit',
      );
      const other = path.join(work, 'redis-17.11.6.tgz');
      await fs.writeFile(other, makeChart({ name: 'redis', version: '17.11.6' }));
      const res = await helm3.attempt(['push', other, `oci://${host}/workspaces/demo`, '--plain-http']);
      t.not(res.code, 0, 'refused');
      t.match(res.stderr, /DENIED|denied/, 'as DENIED');
      t.match(res.stderr, /submitted/, 'naming the state');
      const version = await (await ok(api('GET', '/api/v1/workspaces/demo/apps/redis/versions/17.11.6'), 'v')).json();
      t.equal(version.digest, sha(redis), 'the submitted version is untouched');
      // A chart pushed to a repository of another name is refused.
      const wrong = await helm3.attempt([
        'push',
        path.join(charts, 'redis-17.11.6.tgz'),
        `oci://${host}/workspaces/demo/sub`,
        '--plain-http',
      ]);
      t.not(wrong.code, 0, 'a chart must be pushed to the repository of its name');
    });

    t.test('versions that arrived without a manifest are pullable, with a stable digest', async (t) => {
      await ok(api('POST', '/api/workspaces/demo/charts', argo, adminAuth, 'application/gzip'), 'upload');
      const home = helm4.home;
      const crane = need('CHARTROOM_CRANE', 'crane is built by scripts/peers.sh');
      const ref = `${host}/workspaces/demo/argo-cd:2.2.16`;
      const craneAuth = await run(crane, ['auth', 'login', host, '-u', 'admin', '-p', ADMIN_PASSWORD], home);
      t.equal(craneAuth.code, 0, craneAuth.out);
      const d1 = await run(crane, ['digest', '--insecure', ref], home);
      const d2 = await run(crane, ['digest', '--insecure', ref], home);
      t.equal(d1.code, 0, d1.out);
      t.equal(d1.out, d2.out, 'the same manifest digest each time');
      const tags = await run(crane, ['ls', '--insecure', `${host}/workspaces/demo/argo-cd`], home);
      t.equal(tags.out.trim(), '2.2.16');
      const dir = path.join(work, 'argo');
      await fs.mkdir(dir, { recursive: true });
      await helm4.run([
        'pull',
        `oci://${host}/workspaces/demo/argo-cd`,
        '--version',
        '2.2.16',
        '--plain-http',
        '-d',
        dir,
      ]);
      t.ok((await fs.readFile(path.join(dir, 'argo-cd-2.2.16.tgz'))).equals(argo), 'pulled byte for byte');
    });

    t.test('store/ shows exactly the store: anonymous pulls, gone at once when suspended', async (t) => {
      const app = '/api/v1/workspaces/demo/apps/argo-cd';
      await ok(api('PATCH', app, { category: 'uncategorized' }), 'category');
      for (const action of ['submit', 'pass', 'release']) {
        await ok(api('POST', `${app}/versions/2.2.16/actions`, { action }), action);
      }
      const anon = await makeHelm(t, 'helm3-anon', h3!.bin);
      const dir = path.join(work, 'store');
      await fs.mkdir(dir, { recursive: true });
      await anon.run(['pull', `oci://${host}/store/argo-cd`, '--version', '2.2.16', '--plain-http', '-d', dir]);
      t.ok((await fs.readFile(path.join(dir, 'argo-cd-2.2.16.tgz'))).equals(argo), 'anonymous pull from the store');
      const rendered = await helm4.run([
        'install',
        'x',
        `oci://${host}/store/argo-cd`,
        '--version',
        '^2.0',
        '--plain-http',
        '--dry-run=client',
      ]);
      t.match(rendered, /NAME: x/, 'helm 4 install --dry-run with a version range (tags listed)');
      t.equal((await fetch(`${server.url}/v2/store/redis/tags/list`)).status, 404, 'a draft is not in the store');

      await ok(api('POST', `${app}/actions`, { action: 'suspend' }), 'suspend');
      const tags = await fetch(`${server.url}/v2/store/argo-cd/tags/list`);
      t.equal(tags.status, 404, 'a suspended app is gone from store/');
      t.equal((await tags.json()).errors[0].code, 'NAME_UNKNOWN');
      const blob = await fetch(`${server.url}/v2/store/argo-cd/blobs/sha256:${sha(argo)}`);
      t.equal(blob.status, 404, 'and so are its blobs');
      t.equal((await blob.json()).errors[0].code, 'BLOB_UNKNOWN');
      await ok(api('POST', `${app}/actions`, { action: 'activate' }), 'activate');
    });

    t.test('no blob leaks across repositories, even by digest', async (t) => {
      const layer = `sha256:${sha(redis)}`;
      const mine = await fetch(`${server.url}/v2/workspaces/demo/redis/blobs/${layer}`, {
        headers: { authorization: adminAuth },
      });
      t.equal(mine.status, 200);
      t.equal(mine.headers.get('docker-content-digest'), layer);
      const hidden = await fetch(`${server.url}/v2/workspaces/demo/redis/blobs/${layer}`, {
        headers: { authorization: outsider },
      });
      t.equal(hidden.status, 404, 'an outsider cannot see the workspace');
      const elsewhere = await fetch(`${server.url}/v2/workspaces/other/redis/blobs/${layer}`, {
        headers: { authorization: outsider },
      });
      t.equal(elsewhere.status, 404, 'the digest in a repository of theirs is unknown');
      t.equal((await elsewhere.json()).errors[0].code, 'BLOB_UNKNOWN');
      const mount = await fetch(
        `${server.url}/v2/workspaces/other/redis/blobs/uploads/?mount=${layer}&from=workspaces/demo/redis`,
        { method: 'POST', headers: { authorization: outsider } },
      );
      t.equal(mount.status, 202, 'a mount from a repository they cannot read starts an upload instead');
      const adminMount = await fetch(
        `${server.url}/v2/workspaces/other/redis/blobs/uploads/?mount=${layer}&from=workspaces/demo/redis`,
        { method: 'POST', headers: { authorization: adminAuth } },
      );
      t.equal(adminMount.status, 201, 'a caller who can read the source mounts it');
      const anonymous = await fetch(`${server.url}/v2/workspaces/demo/redis/tags/list`);
      t.equal(anonymous.status, 401);
      t.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/, 'a challenge Helm and oras follow');
      const viewer = basic('viewer', 'viewer-password-1');
      const push = await fetch(`${server.url}/v2/workspaces/demo/redis/blobs/uploads/`, {
        method: 'POST',
        headers: { authorization: viewer },
      });
      t.equal(push.status, 403, 'a viewer cannot push');
      t.equal((await push.json()).errors[0].code, 'DENIED');
    });

    t.test('chunked uploads, digests and limits', async (t) => {
      const auth = { authorization: adminAuth };
      const repo = `${server.url}/v2/workspaces/demo/blobby`;
      const bytes = Buffer.from('a'.repeat(5000) + 'b'.repeat(3000));
      const start = await fetch(`${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
      t.equal(start.status, 202);
      const at = new URL(start.headers.get('location')!, server.url).toString();
      const first = await fetch(at, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': '0-4999' },
        body: new Uint8Array(bytes.subarray(0, 5000)),
      });
      t.equal(first.status, 202);
      t.equal(first.headers.get('range'), '0-4999');
      const gap = await fetch(at, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': '6000-6999' },
        body: new Uint8Array(1000),
      });
      t.equal(gap.status, 416, 'a chunk that does not continue the upload');
      const status = await fetch(at, { headers: auth });
      t.equal(status.status, 204);
      t.equal(status.headers.get('range'), '0-4999', 'the refused chunk left nothing');
      const bad = await fetch(`${at}?digest=sha256:${'0'.repeat(64)}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(bytes.subarray(5000)),
      });
      t.equal(bad.status, 400);
      t.equal((await bad.json()).errors[0].code, 'DIGEST_INVALID');
      const kept = await fetch(at, { headers: auth });
      t.equal(kept.headers.get('range'), '0-4999', 'a wrong digest keeps the last chunk out');
      const at2 = at;
      const done = await fetch(`${at2}?digest=sha256:${sha(bytes)}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(bytes.subarray(5000)),
      });
      t.equal(done.status, 201);
      t.equal(done.headers.get('docker-content-digest'), `sha256:${sha(bytes)}`);
      const got = await fetch(`${repo}/blobs/sha256:${sha(bytes)}`, { headers: { ...auth, range: 'bytes=4998-5001' } });
      t.equal(got.status, 206);
      t.equal(Buffer.from(await got.arrayBuffer()).toString(), 'aabb', 'a range of it');
      t.equal((await fetch(at2, { headers: auth })).status, 404, 'a finished upload is gone');
      const config = await fetch(`${repo}/blobs/uploads/?digest=sha256:${sha(Buffer.from('{}'))}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: '{}',
      });
      t.equal(config.status, 201, 'a monolithic upload');
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: `sha256:${sha(Buffer.from('{}'))}`,
            size: 2,
          },
          layers: [{ mediaType: 'application/octet-stream', digest: `sha256:${sha(bytes)}`, size: bytes.length }],
        }),
      );
      const image = await fetch(`${repo}/manifests/1.0.0`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body: new Uint8Array(manifest),
      });
      t.equal(image.status, 400, 'a manifest that is no Helm chart is refused');
      const body = await image.json();
      t.equal(body.errors[0].code, 'MANIFEST_INVALID');
      t.match(body.errors[0].message, /only Helm charts/);
    });

    t.test('oras attach and discover: artifacts referring to a chart', async (t) => {
      const oras = need('CHARTROOM_ORAS', 'oras is built by scripts/peers.sh');
      const home = await tempDir(t);
      const o = (args: string[]) => run(oras, args, home);
      t.equal((await o(['login', host, '-u', 'admin', '-p', ADMIN_PASSWORD, '--plain-http'])).code, 0);
      await fs.writeFile(path.join(home, 'sbom.json'), '{"sbom":true}');
      const ref = `${host}/workspaces/demo/argo-cd:2.2.16`;
      const attach = await o([
        'attach',
        '--plain-http',
        '--artifact-type',
        'application/vnd.example.sbom',
        ref,
        'sbom.json:application/json',
      ]);
      t.equal(attach.code, 0, attach.out);
      const discover = await o(['discover', '--plain-http', '--format', 'json', ref]);
      t.equal(discover.code, 0, discover.out);
      const found = JSON.parse(discover.out.slice(discover.out.indexOf('{'))) as {
        referrers?: Array<{ artifactType: string }>;
        manifests?: Array<{ artifactType: string }>;
      };
      const list = found.referrers ?? found.manifests ?? [];
      t.same(
        list.map((r) => r.artifactType),
        ['application/vnd.example.sbom'],
        'the workspace lists it',
      );
      const store = await o(['discover', '--plain-http', '--format', 'json', `${host}/store/argo-cd:2.2.16`]);
      const inStore = JSON.parse(store.out.slice(store.out.indexOf('{'))) as {
        referrers?: unknown[];
        manifests?: unknown[];
      };
      t.equal((inStore.referrers ?? inStore.manifests ?? []).length, 1, 'and the store, while the version is there');
    });

    t.test('deleting a manifest deletes its version, under the delete rule', async (t) => {
      const crane = need('CHARTROOM_CRANE', 'crane is built by scripts/peers.sh');
      const home = helm4.home;
      const del = await run(crane, ['delete', '--insecure', `${host}/workspaces/demo/memcached:6.0.22`], home);
      t.equal(del.code, 0, del.out);
      t.equal(
        (await api('GET', '/api/v1/workspaces/demo/apps/memcached/versions/6.0.22')).status,
        404,
        'the draft is gone',
      );
      const digest = (
        await run(crane, ['digest', '--insecure', `${host}/workspaces/demo/redis:17.11.6`], home)
      ).out.trim();
      const submitted = await fetch(`${server.url}/v2/workspaces/demo/redis/manifests/${digest}`, {
        method: 'DELETE',
        headers: { authorization: adminAuth },
      });
      t.equal(submitted.status, 409, 'a submitted version cannot be deleted');
      const body = await submitted.json();
      t.equal(body.errors[0].code, 'DENIED');
    });
  });
}
