// requires: helm, corpus
// Pulling charts from OCI registries: Debian's docker-registry (distribution 2.8.2) with
// corpus charts pushed by real `helm push`, open and behind htpasswd Basic auth (the
// same storage, so nothing is pushed twice). A real registry with token auth needs a
// token service too, so the Bearer flow, and the malformed answers no honest registry
// gives (a layer that does not match its digest or size, a manifest that is no chart),
// run against a small fake registry written here.
import t from 'tap';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/app.js';
import { ociRegistry, upstreamFailure as failure } from '../helpers/upstreams.js';
import { corpusDir } from '../helpers/env.js';
import { helmBinaries, makeHelm } from '../helpers/helm.js';
import { type FetchPolicy } from '../../src/imports/fetch.js';
import {
  listTags,
  OciClient,
  parseChallenges,
  parseOciUrl,
  pullChart,
  type OciSource,
} from '../../src/imports/oci-source.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const policy: FetchPolicy = { allowPrivate: true, maxRedirects: 5, timeoutMs: 10_000 };
const MiB = 1024 * 1024;

/** docker-registry over `root`, optionally behind htpasswd Basic auth; its host:port. */
async function startRegistry(t: Teardown, root: string, user?: { name: string; password: string }): Promise<string> {
  return (await ociRegistry(t, { root, user })).host;
}

t.test('parseOciUrl', async (t) => {
  t.same(parseOciUrl('oci://Registry.example:5000/charts/redis', false), {
    registry: 'registry.example:5000',
    repository: 'charts/redis',
    plainHttp: false,
  });
  t.same(parseOciUrl('oci://ghcr.io/org/team/app/', true), {
    registry: 'ghcr.io',
    repository: 'org/team/app',
    plainHttp: true,
  });
  t.equal(parseOciUrl('oci://[::1]:5000/a/b', true).registry, '[::1]:5000');
  const bad: Array<[string, RegExp]> = [
    ['https://ghcr.io/org/app', /starting with oci:\/\//],
    ['oci://ghcr.io/org/app:1.0.0', /without a tag or digest/],
    ['oci://ghcr.io/org/app@sha256:abcd', /without a tag or digest/],
    ['oci://ghcr.io', /names no chart/],
    ['oci://ghcr.io/', /names no chart/],
    ['oci://user:pw@ghcr.io/org/app', /credentials in the URL are refused/],
    ['oci://ghcr.io/org/app?x=1', /without a query/],
    ['oci://ghcr.io/Org/app', /"Org" is not a repository name component/],
    ['oci://ghcr.io/org//app', /"" is not a repository name component/],
  ];
  for (const [url, message] of bad) t.throws(() => parseOciUrl(url, false), message, url);
});

t.test('parseChallenges', async (t) => {
  t.same(
    parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'),
    [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
      },
    ],
  );
  t.same(parseChallenges('Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/token'), [
    { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
    { scheme: 'bearer', params: { realm: 'https://x/token' } },
  ]);
  t.same(parseChallenges(''), []);
});

t.test('docker-registry with charts pushed by helm', async (t) => {
  const charts = path.join(corpusDir(), 'charts');
  const root = await tempDir(t, 'chartroom-registry-data-');
  const host = await startRegistry(t, root);
  const [h3] = helmBinaries();
  const helm = await makeHelm(t, h3!.label, h3!.bin);
  const pushed = new Map<string, string>(); // file → manifest digest helm printed
  for (const file of ['redis-17.11.6.tgz', 'memcached-5.13.7.tgz', 'memcached-6.0.22.tgz']) {
    const out = await helm.attempt(['push', path.join(charts, file), `oci://${host}/charts`, '--plain-http']);
    t.equal(out.code, 0, `helm push ${file}: ${out.stderr}`);
    pushed.set(file, /Digest: (sha256:[a-f0-9]{64})/.exec(out.stdout + out.stderr)?.[1] ?? '');
  }
  const redis = await fs.readFile(path.join(charts, 'redis-17.11.6.tgz'));
  const src = (repo: string): OciSource => parseOciUrl(`oci://${host}/charts/${repo}`, true);

  t.test('tags, every page of them', async (t) => {
    // In the registry's order, which distribution 2.8 does not sort.
    t.same((await listTags(policy, src('memcached'), null)).sort(), ['5.13.7', '6.0.22']);
    const paged = new OciClient(policy, src('memcached'), null, { tagPageSize: 1 });
    t.same((await paged.listTags()).sort(), ['5.13.7', '6.0.22'], 'one tag a page, following Link');
    const missing = await failure(listTags(policy, src('nothing-here'), null));
    t.equal(missing.status, 404);
    t.match(missing.message, `cannot list the tags of ${host}/charts/nothing-here: not found (404 NAME_UNKNOWN`);
  });

  t.test('a pulled chart is the pushed bytes', async (t) => {
    const chart = await pullChart(policy, src('redis'), null, '17.11.6', 10 * MiB);
    t.ok(chart.bytes.equals(redis), 'the corpus file, byte for byte');
    t.equal(chart.layerDigest, sha(redis));
    t.equal(chart.manifestDigest, pushed.get('redis-17.11.6.tgz'), 'the manifest digest helm push printed');

    const none = await failure(pullChart(policy, src('redis'), null, '9.9.9', 10 * MiB));
    t.equal(none.status, 404);
    t.match(none.message, `cannot pull ${host}/charts/redis:9.9.9: not found (404 MANIFEST_UNKNOWN`);

    const big = await failure(pullChart(policy, src('redis'), null, '17.11.6', 64 * 1024));
    t.equal(big.kind, 'too-large');
    t.match(big.message, /the chart is larger than 64 KiB \(its layer is 89\.\d KiB\)/);
  });

  t.test('the same storage behind htpasswd Basic auth', async (t) => {
    const user = { name: 'puller', password: 'correct-horse-battery-9' };
    const locked = await startRegistry(t, root, user);
    const lockedSrc = parseOciUrl(`oci://${locked}/charts/redis`, true);

    const anonymous = await failure(listTags(policy, lockedSrc, null));
    t.equal(anonymous.status, 401);
    t.match(anonymous.message, /the registry wants credentials and the repository has none \(401 UNAUTHORIZED/);

    const wrong = { username: user.name, password: 'wrong-password-123' };
    const refused = await failure(pullChart(policy, lockedSrc, wrong, '17.11.6', 10 * MiB));
    t.equal(refused.status, 401);
    t.match(refused.message, /the registry refused the credentials \(401 UNAUTHORIZED/);
    t.notMatch(refused.message, wrong.password);
    t.notMatch(refused.message, Buffer.from(`${wrong.username}:${wrong.password}`).toString('base64'));

    const right = { username: user.name, password: user.password };
    const client = new OciClient(policy, lockedSrc, right);
    t.same(await client.listTags(), ['17.11.6']);
    const chart = await client.pullChart('17.11.6', 10 * MiB);
    t.ok(chart.bytes.equals(redis), 'pulled with Basic credentials');
  });
});

// ---------------------------------------------------------------------------------
// A fake registry for what a real one does not do: Bearer tokens from a token service,
// blobs redirected to another origin, and answers that do not hold together.

interface FakeState {
  chart: Buffer;
  /** Manifest fields; undefined: from the chart. */
  layerDigest?: string;
  layerSize?: number;
  layerType?: string;
  configType?: string;
  extraLayers?: object[];
  /** Bytes the blob URL serves; undefined: the chart. */
  blob?: Buffer;
  /** Serve blobs by redirecting to the storage server. */
  redirectBlobs?: boolean;
  tagPages?: string[][];
  /** Every page links to page 1 (a registry whose paging never ends). */
  loopTags?: boolean;
  /** Tokens the registry accepts; the token service issues "token-<n>". */
  validTokens: Set<string>;
  issued: number;
  tokenField: 'token' | 'access_token';
  /** Answer 401 to every token, valid or not. */
  refuseTokens?: boolean;
}

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function listen(t: Teardown, handler: http.RequestListener): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen };
}

const USER = { username: 'robot', password: 'token-service-password-7' };
const basicOf = (u: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

async function fakeRegistry(t: Teardown, chart: Buffer) {
  const state: FakeState = { chart, validTokens: new Set(), issued: 0, tokenField: 'access_token' };
  const storage = await listen(t, (_req, res) => res.writeHead(200).end(state.blob ?? state.chart));
  const tokens = await listen(t, (req, res) => {
    if (req.headers.authorization !== basicOf(USER)) return res.writeHead(401).end('{"details":"no"}');
    const token = `token-${++state.issued}`;
    state.validTokens.add(token);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [state.tokenField]: token }));
  });
  const registry = await listen(t, (req, res) => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !state.validTokens.has(bearer) || state.refuseTokens) {
      return res
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake-registry",scope="repository:charts/demo:pull"`,
        })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: `you sent ${req.headers.authorization}` }] }));
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/charts/demo/tags/list') {
      const pages = state.tagPages ?? [['1.0.0']];
      const i = Number(url.searchParams.get('page') ?? 0);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (state.loopTags) headers.link = '</v2/charts/demo/tags/list?page=1>; rel="next"';
      else if (i + 1 < pages.length) headers.link = `</v2/charts/demo/tags/list?page=${i + 1}>; rel="next"`;
      return res.writeHead(200, headers).end(JSON.stringify({ name: 'charts/demo', tags: pages[i] ?? [] }));
    }
    if (url.pathname === '/v2/charts/demo/manifests/1.0.0') {
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: state.configType ?? 'application/vnd.cncf.helm.config.v1+json',
          digest: sha(Buffer.from('{}')),
          size: 2,
        },
        layers: [
          {
            mediaType: state.layerType ?? 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
            digest: state.layerDigest ?? sha(state.chart),
            size: state.layerSize ?? state.chart.length,
          },
          ...(state.extraLayers ?? []),
        ],
      };
      return res.writeHead(200, { 'content-type': manifest.mediaType }).end(JSON.stringify(manifest));
    }
    if (url.pathname.startsWith('/v2/charts/demo/blobs/')) {
      if (state.redirectBlobs) {
        return res.writeHead(307, { location: `${storage.url}/bucket/blob?X-Amz-Signature=abc` }).end();
      }
      return res.writeHead(200).end(state.blob ?? state.chart);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
  });
  const src = parseOciUrl(`oci://${registry.url.slice('http://'.length)}/charts/demo`, true);
  return { state, src, registry, tokens, storage };
}

t.test('Bearer tokens: from the realm with the credentials, once per session, renewed when refused', async (t) => {
  const chart = await fs.readFile(path.join(corpusDir(), 'charts', 'argo-events-0.5.2.tgz'));
  const fake = await fakeRegistry(t, chart);
  fake.state.redirectBlobs = true;
  const client = new OciClient(policy, fake.src, USER);
  t.same(await client.listTags(), ['1.0.0']);
  const pulled = await client.pullChart('1.0.0', MiB);
  t.ok(pulled.bytes.equals(chart));
  t.equal(fake.state.issued, 1, 'one token for the whole session');
  const tokenRequest = new URL(fake.tokens.seen[0]!.path, 'http://x');
  t.equal(tokenRequest.searchParams.get('service'), 'fake-registry');
  t.equal(tokenRequest.searchParams.get('scope'), 'repository:charts/demo:pull');
  t.equal(fake.tokens.seen[0]!.authorization, basicOf(USER), 'the credentials go to the realm');
  t.ok(
    fake.registry.seen.filter((s) => s.authorization).every((s) => s.authorization === 'Bearer token-1'),
    'the registry sees the token, never the password',
  );
  t.equal(fake.storage.seen.length, 1, 'the blob came from the storage origin');
  t.notOk(fake.storage.seen[0]!.authorization, 'which gets no token');

  // The registry forgets the token (expiry): the client asks for a new one and goes on.
  fake.state.validTokens.clear();
  fake.state.tokenField = 'token';
  t.ok((await client.pullChart('1.0.0', MiB)).bytes.equals(chart));
  t.equal(fake.state.issued, 2);

  // A registry that refuses every token and echoes what it was sent: the message blanks it.
  fake.state.refuseTokens = true;
  const echoed = await failure(client.listTags());
  t.equal(echoed.status, 401);
  t.match(echoed.message, /the registry refused the credentials \(401 UNAUTHORIZED: you sent Bearer \*\*\*\)/);
  fake.state.refuseTokens = false;

  const wrong = { username: USER.username, password: 'not-the-password-42' };
  const err = await failure(new OciClient(policy, fake.src, wrong).listTags());
  t.equal(err.status, 401);
  t.match(
    err.message,
    /cannot get a registry token for .*charts\/demo: the token service refused the credentials \(401\)/,
  );
  t.notMatch(err.message, wrong.password);

  const anonymous = await failure(new OciClient(policy, fake.src, null).listTags());
  t.match(anonymous.message, /the token service wants credentials and the repository has none/);
});

t.test('answers that do not hold together are refused', async (t) => {
  const chart = await fs.readFile(path.join(corpusDir(), 'charts', 'argo-events-0.5.2.tgz'));
  const fake = await fakeRegistry(t, chart);
  const pull = (max = MiB) => failure(new OciClient(policy, fake.src, USER).pullChart('1.0.0', max));
  const blobFetches = () => fake.registry.seen.filter((s) => s.path.includes('/blobs/')).length;

  fake.state.blob = Buffer.from(chart);
  fake.state.blob[100] = fake.state.blob[100]! ^ 0xff; // the same size, other bytes
  const digest = await pull();
  t.equal(digest.kind, 'invalid');
  t.match(digest.message, `the chart layer's digest is ${sha(fake.state.blob)}, its manifest says ${sha(chart)}`);

  fake.state.blob = chart.subarray(0, 1000);
  t.match((await pull()).message, /the chart layer has 1000 bytes, its manifest says 2849/);
  fake.state.blob = Buffer.concat([chart, Buffer.alloc(10)]);
  t.match((await pull()).message, /the chart layer is longer than the 2849 bytes its manifest says/);
  delete fake.state.blob;

  const before = blobFetches();
  const big = await pull(1000);
  t.equal(big.kind, 'too-large');
  t.match(big.message, /the chart is larger than 1000 bytes \(its layer is 2\.8 KiB\)$/);
  t.equal(blobFetches(), before, 'refused before the download');

  fake.state.configType = 'application/vnd.oci.image.config.v1+json';
  t.match((await pull()).message, /not a Helm chart: its config is "application\/vnd\.oci\.image\.config\.v1\+json"/);
  delete fake.state.configType;

  fake.state.extraLayers = [{ mediaType: 'application/tar+gzip', digest: sha(chart), size: chart.length }];
  t.match((await pull()).message, /the manifest has 2 chart layers, not one/);
  delete fake.state.extraLayers;

  fake.state.layerType = 'application/tar+gzip';
  const legacy = await new OciClient(policy, fake.src, USER).pullChart('1.0.0', MiB);
  t.ok(legacy.bytes.equals(chart), 'the legacy layer type of helm before 3.8 is accepted');
  delete fake.state.layerType;

  fake.state.layerDigest = 'md5:abc';
  t.match((await pull()).message, /the chart layer has no sha256 digest/);
  delete fake.state.layerDigest;

  await t.rejects(new OciClient(policy, fake.src, USER).pullChart('../../etc', MiB), /not a valid tag/);
});

t.test('tag pages: relative next links, tags outside the grammar left out, loops stopped', async (t) => {
  const fake = await fakeRegistry(t, Buffer.from('x'));
  fake.state.tagPages = [['1.0.0', '1.1.0'], ['2.0.0_build.1', '../escape', 'latest'], ['3.0.0']];
  t.same(await new OciClient(policy, fake.src, USER).listTags(), [
    '1.0.0',
    '1.1.0',
    '2.0.0_build.1',
    'latest',
    '3.0.0',
  ]);
  fake.state.loopTags = true;
  const loop = await failure(new OciClient(policy, fake.src, USER).listTags());
  t.match(loop.message, /the tag list's next links do not end/);
});
