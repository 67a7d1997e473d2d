// The OCI registry in process: tag paging, the store following suspensions at once (tags,
// manifests, blobs and referrers), uploads refused early beyond the size limit, and
// malformed manifests and digests answered with the spec's codes.
import t from 'tap';
import { createHash } from 'node:crypto';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';
import { pruneStaleManifests } from '../../src/oci/manifests.js';
import { sweepOrphanBlobs } from '../../src/blobs/references.js';
import type { FastifyInstance } from 'fastify';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const auth = { authorization: adminAuth };

async function upload(app: FastifyInstance, ws: string, name: string, version: string): Promise<Buffer> {
  const chart = makeChart({ name, version });
  const res = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: chart,
  });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return chart;
}

async function act(app: FastifyInstance, ws: string, name: string, path: string, action: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/workspaces/${ws}/apps/${name}${path}/actions`,
    headers: auth,
    payload: { action },
  });
  if (res.statusCode !== 200) throw new Error(`${action}: ${res.statusCode} ${res.body}`);
}

t.test('tags are listed in order and paged with n, last and Link', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  for (const v of ['1.0.0', '1.1.0', '2.0.0+build.7', '0.9.0']) await upload(app, ws, 'paged', v);
  const list = async (query: string) =>
    app.inject({ url: `/v2/workspaces/${ws}/paged/tags/list${query}`, headers: auth });
  const all = await list('');
  t.same(all.json(), { name: `workspaces/${ws}/paged`, tags: ['0.9.0', '1.0.0', '1.1.0', '2.0.0_build.7'] }, '+ as _');
  const first = await list('?n=2');
  t.same(first.json().tags, ['0.9.0', '1.0.0']);
  t.equal(first.headers.link, `</v2/workspaces/${ws}/paged/tags/list?n=2&last=1.0.0>; rel="next"`);
  const next = await list('?n=2&last=1.0.0');
  t.same(next.json().tags, ['1.1.0', '2.0.0_build.7']);
  t.notOk(next.headers.link, 'no next page after the last');
  const none = await list('?n=0');
  t.same(none.json().tags, [], 'n=0: an empty list');
  t.notOk(none.headers.link, 'and no Link header');
  const build = await app.inject({ url: `/v2/workspaces/${ws}/paged/manifests/2.0.0_build.7`, headers: auth });
  t.equal(build.statusCode, 200, 'a tag with _ names the version with +');
  const unknown = await list('').then(() =>
    app.inject({ url: `/v2/workspaces/${ws}/nothing/tags/list`, headers: auth }),
  );
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().errors[0].code, 'NAME_UNKNOWN');
});

t.test('the store follows suspensions at once: tags, manifests, blobs, referrers', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const one = await upload(app, ws, 'shop', '1.0.0');
  await upload(app, ws, 'shop', '2.0.0');
  await app.inject({
    method: 'PATCH',
    url: `/api/v1/workspaces/${ws}/apps/shop`,
    headers: auth,
    payload: { category: 'uncategorized' },
  });
  for (const v of ['1.0.0', '2.0.0']) {
    for (const action of ['submit', 'pass', 'release']) await act(app, ws, 'shop', `/versions/${v}`, action);
  }
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });
  t.same((await get('/v2/store/shop/tags/list')).json().tags, ['1.0.0', '2.0.0'], 'anonymous, public store');
  const manifest = await get('/v2/store/shop/manifests/1.0.0');
  t.equal(manifest.statusCode, 200);
  t.equal(manifest.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
  const digest = String(manifest.headers['docker-content-digest']);
  t.equal(digest, `sha256:${sha(manifest.rawPayload)}`, 'the digest is of the bytes served');
  const ws1 = await get(`/v2/workspaces/${ws}/shop/manifests/1.0.0`, auth);
  t.equal(ws1.headers['docker-content-digest'], digest, 'the same manifest in the workspace repository');
  const head = await app.inject({ method: 'HEAD', url: '/v2/store/shop/manifests/1.0.0' });
  t.equal(head.statusCode, 200);
  t.equal(head.headers['docker-content-digest'], digest);
  t.equal(head.rawPayload.length, 0, 'HEAD has no body');

  await act(app, ws, 'shop', '/versions/1.0.0', 'suspend');
  t.same((await get('/v2/store/shop/tags/list')).json().tags, ['2.0.0'], 'a suspended version leaves the tags');
  const byTag = await get('/v2/store/shop/manifests/1.0.0');
  t.equal(byTag.statusCode, 404);
  t.equal(byTag.json().errors[0].code, 'MANIFEST_UNKNOWN');
  t.equal((await get(`/v2/store/shop/manifests/${digest}`)).statusCode, 404, 'and its digest');
  const blob = await get(`/v2/store/shop/blobs/sha256:${sha(one)}`);
  t.equal(blob.statusCode, 404, 'and its package blob');
  t.equal(blob.json().errors[0].code, 'BLOB_UNKNOWN');
  t.equal(
    (await get(`/v2/workspaces/${ws}/shop/blobs/sha256:${sha(one)}`, auth)).statusCode,
    200,
    'still a draft-side read',
  );

  await act(app, ws, 'shop', '', 'suspend');
  t.equal((await get('/v2/store/shop/tags/list')).statusCode, 404, 'a suspended app leaves store/');
  await act(app, ws, 'shop', '', 'activate');
  t.same((await get('/v2/store/shop/tags/list')).json().tags, ['2.0.0'], 'back with the app');
});

t.test('a reviewer deletes a version over OCI as over the API, and then the emptied app', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  await upload(app, ws, 'gone', '1.0.0');
  await app.inject({
    method: 'PATCH',
    url: `/api/v1/workspaces/${ws}/apps/gone`,
    headers: auth,
    payload: { category: 'uncategorized' },
  });
  for (const action of ['submit', 'pass', 'release', 'suspend']) await act(app, ws, 'gone', '/versions/1.0.0', action);
  // Not a member of the workspace: only the platform permissions of a review role.
  for (const [url, payload] of [
    ['/api/v1/roles', { name: 'app-review', permissions: ['app-templates.view', 'app-templates.manage'] }],
    ['/api/v1/users', { username: 'rev', password: 'reviewer-password-1', role: 'app-review' }],
    ['/api/v1/users', { username: 'looker', password: 'looker-password-1', role: 'platform-regular' }],
  ] as const) {
    const res = await app.inject({ method: 'POST', url, headers: auth, payload });
    t.equal(res.statusCode, 201, res.body);
  }
  const member = await app.inject({
    method: 'PUT',
    url: `/api/v1/workspaces/${ws}/members/looker`,
    headers: auth,
    payload: { role: 'workspace-viewer' },
  });
  t.equal(member.statusCode, 201, member.body);
  const as = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const manifest = `/v2/workspaces/${ws}/gone/manifests/1.0.0`;
  const viewer = await app.inject({ method: 'DELETE', url: manifest, headers: as('looker', 'looker-password-1') });
  t.equal(viewer.statusCode, 403, 'a workspace viewer may not');
  t.equal(viewer.json().errors[0].code, 'DENIED');
  const reviewer = as('rev', 'reviewer-password-1');
  t.equal((await app.inject({ method: 'DELETE', url: manifest, headers: reviewer })).statusCode, 202, 'a reviewer may');
  t.equal(
    (await app.inject({ url: `/api/v1/workspaces/${ws}/apps/gone/versions/1.0.0`, headers: auth })).statusCode,
    404,
    'the suspended version is gone',
  );
  const emptied = await app.inject({ method: 'DELETE', url: `/api/v1/workspaces/${ws}/apps/gone`, headers: reviewer });
  t.equal(emptied.statusCode, 204, 'and so may the reviewer remove the app it emptied');
});

t.test('a new provenance file or package makes a new manifest; the old one and what only it named go', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const first = await upload(app, ws, 'signed', '1.0.0');
  const manifest = async (ref: string) =>
    app.inject({ url: `/v2/workspaces/${ws}/signed/manifests/${ref}`, headers: auth });
  const layers = (res: { json(): { layers: Array<{ mediaType: string; digest: string }> } }) =>
    res.json().layers.map((l) => `${l.mediaType} ${l.digest}`);
  const plain = await manifest('1.0.0');
  t.equal(plain.json().layers.length, 1, 'a chart layer only');

  const prov = [
    '-----BEGIN PGP SIGNED MESSAGE-----',
    'Hash: SHA512',
    '',
    chartYamlFor('signed', '1.0.0'),
    '...',
    'files:',
    `  signed-1.0.0.tgz: sha256:${sha(first)}`,
    '-----BEGIN PGP SIGNATURE-----',
    '',
    'AAAA',
    '-----END PGP SIGNATURE-----',
    '',
  ].join('\n');
  const attached = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/prov`,
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    payload: prov,
  });
  t.equal(attached.statusCode, 201, attached.body);
  const signed = await manifest('1.0.0');
  t.not(signed.headers['docker-content-digest'], plain.headers['docker-content-digest'], 'a new manifest');
  t.same(layers(signed), [
    `application/vnd.cncf.helm.chart.content.v1.tar+gzip sha256:${sha(first)}`,
    `application/vnd.cncf.helm.chart.provenance.v1.prov sha256:${sha(Buffer.from(prov))}`,
  ]);

  const second = makeChart({ name: 'signed', version: '1.0.0', values: 'replicaCount: 2\n' });
  const replaced = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts?force=true`,
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: second,
  });
  t.equal(replaced.statusCode, 201, replaced.body);
  // Before any pull (a pull would make the new manifest and drop the old one itself).
  const pruned = await pruneStaleManifests(app.db);
  t.equal(pruned.manifests, 1, 'the sweep drops the manifest of the replaced package');
  t.ok(pruned.blobs.includes(sha(first)), 'with the blobs it named');
  const old = String(signed.headers['docker-content-digest']);
  t.equal((await manifest(old)).statusCode, 404, 'which is not served');
  await sweepOrphanBlobs(app.db, app.blobs, 0);
  t.notOk(await app.blobs.has(sha(first)), 'the replaced package is gone from the blob store');
  const now = await manifest('1.0.0');
  t.same(
    layers(now),
    [`application/vnd.cncf.helm.chart.content.v1.tar+gzip sha256:${sha(second)}`],
    'a pull makes the new one',
  );
  t.equal((await pruneStaleManifests(app.db)).manifests, 0, 'which is current');
});

t.test('limits and malformed input: early refusals with the spec codes, nothing left behind', async (t) => {
  const { app } = await testApp(t, { env: { CHARTROOM_MAX_UPLOAD_BYTES: '4096' } });
  const ws = await createWorkspace(app);
  const repo = `/v2/workspaces/${ws}/limits`;
  const octets = { ...auth, 'content-type': 'application/octet-stream' };
  const big = Buffer.alloc(5000, 1);
  const whole = await app.inject({
    method: 'POST',
    url: `${repo}/blobs/uploads/?digest=sha256:${sha(big)}`,
    headers: octets,
    payload: big,
  });
  t.equal(whole.statusCode, 413, 'a monolithic upload over the limit');
  t.equal(whole.json().errors[0].code, 'SIZE_INVALID');
  const started = await app.inject({ method: 'POST', url: `${repo}/blobs/uploads/`, headers: auth });
  const at = String(started.headers.location);
  const part = await app.inject({ method: 'PATCH', url: at, headers: octets, payload: big.subarray(0, 3000) });
  t.equal(part.statusCode, 202);
  const over = await app.inject({ method: 'PATCH', url: at, headers: octets, payload: big.subarray(3000) });
  t.equal(over.statusCode, 413, 'chunks adding up past the limit');
  t.equal(over.json().errors[0].code, 'SIZE_INVALID');
  t.equal((await app.inject({ url: at, headers: auth })).headers.range, '0-2999', 'the refused chunk is not kept');

  const put = (reference: string, body: string, type = 'application/vnd.oci.image.manifest.v1+json') =>
    app.inject({
      method: 'PUT',
      url: `${repo}/manifests/${reference}`,
      headers: { ...auth, 'content-type': type },
      payload: body,
    });
  const cases: Array<[string, string, string, number, string]> = [
    ['not JSON', '1.0.0', '{', 400, 'MANIFEST_INVALID'],
    [
      'an index',
      '1.0.0',
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
      400,
      'MANIFEST_INVALID',
    ],
    ['a wrong digest', `sha256:${'a'.repeat(64)}`, '{"schemaVersion":2,"layers":[]}', 400, 'DIGEST_INVALID'],
    ['sha512', `sha512:${'a'.repeat(128)}`, '{}', 400, 'UNSUPPORTED'],
    ['a bad tag', '-x', '{}', 400, 'MANIFEST_INVALID'],
    [
      'unknown blobs',
      '1.0.0',
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 },
        layers: [],
      }),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    ],
  ];
  for (const [what, reference, body, status, code] of cases) {
    const res = await put(reference, body);
    t.equal(res.statusCode, status, what);
    t.equal(res.json().errors[0].code, code, `${what}: ${code}`);
  }
  // A config that names another chart than its layer holds.
  const layer = makeChart({ name: 'limits', version: '1.0.0' });
  const lying = Buffer.from('{"name":"something-else","version":"9.9.9","apiVersion":"v2"}');
  for (const blob of [layer, lying]) {
    const up = await app.inject({
      method: 'POST',
      url: `${repo}/blobs/uploads/?digest=sha256:${sha(blob)}`,
      headers: octets,
      payload: blob,
    });
    t.equal(up.statusCode, 201);
  }
  const mismatch = await put(
    '1.0.0',
    JSON.stringify({
      schemaVersion: 2,
      config: {
        mediaType: 'application/vnd.cncf.helm.config.v1+json',
        digest: `sha256:${sha(lying)}`,
        size: lying.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: `sha256:${sha(layer)}`,
          size: layer.length,
        },
      ],
    }),
  );
  t.equal(mismatch.statusCode, 400);
  t.match(mismatch.json().errors[0], { code: 'MANIFEST_INVALID', message: /config blob names "something-else"/ });

  const badDigest = await app.inject({ url: `${repo}/blobs/sha256:nothex`, headers: auth });
  t.equal(badDigest.statusCode, 400);
  t.equal(badDigest.json().errors[0].code, 'DIGEST_INVALID');
  const storePush = await app.inject({ method: 'POST', url: '/v2/store/limits/blobs/uploads/', headers: auth });
  t.equal(storePush.statusCode, 405);
  t.equal(storePush.json().errors[0].code, 'DENIED', 'store/ is pull-only');
  const del = await app.inject({ method: 'DELETE', url: `${repo}/blobs/sha256:${sha(big)}`, headers: auth });
  t.equal(del.statusCode, 405, 'blob deletes are not offered');
  t.equal(del.json().errors[0].code, 'UNSUPPORTED');
  const apps = await app.inject({ url: `/api/v1/workspaces/${ws}/apps`, headers: auth });
  t.same(apps.json().items, [], 'no app or version was made by any of it');
});
