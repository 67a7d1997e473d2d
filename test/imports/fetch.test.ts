// The upstream fetcher against small servers started here: conditional answers,
// redirects (counted, relative, never to another scheme), credentials only on their
// origin, bodies cut at their limit (an endless one too), timeouts, cancellation, and
// non-public addresses refused on every hop, for literals and for resolved names.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import {
  fetchUpstream,
  formatBytes,
  isNonPublicAddress,
  type FetchPolicy,
  type FetchRequest,
} from '../../src/imports/fetch.js';
import { upstreamFailure as failure } from '../helpers/upstreams.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

interface TestServer {
  port: number;
  url: string;
  /** Requests seen, in order. */
  seen: http.IncomingMessage[];
}

async function serve(
  t: Teardown,
  handler: http.RequestListener,
  host = '127.0.0.1',
): Promise<TestServer & { server: http.Server }> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, url: `http://${host}:${port}`, seen };
}

const open: FetchPolicy = { allowPrivate: true, maxRedirects: 5, timeoutMs: 5000 };
const closed: FetchPolicy = { allowPrivate: false, maxRedirects: 5, timeoutMs: 5000 };
const get = (url: string, extra: Partial<FetchRequest> = {}, policy: FetchPolicy = open) =>
  fetchUpstream(policy, { url, what: 'the index', maxBytes: 1024 * 1024, ...extra });

t.test('a 200 answer: body, headers sent and the final URL', async (t) => {
  const up = await serve(t, (_req, res) => res.writeHead(200, { etag: '"v1"' }).end('apiVersion: v1\n'));
  const res = await get(`${up.url}/charts/index.yaml`, { headers: { accept: 'application/yaml' } });
  t.equal(res.status, 200);
  t.equal(res.body.toString(), 'apiVersion: v1\n');
  t.equal(res.headers.etag, '"v1"');
  t.equal(res.url, `${up.url}/charts/index.yaml`);
  const sent = up.seen[0]!.headers;
  t.equal(sent['user-agent'], 'chartroom-import');
  t.equal(sent['accept-encoding'], 'identity', 'no compression: the bytes counted are the bytes kept');
  t.equal(sent.accept, 'application/yaml');
  t.notOk(sent.authorization, 'nothing to authenticate with');
});

t.test('a 304 is returned as it is, for the caller to skip an unchanged index', async (t) => {
  const up = await serve(t, (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
    else res.writeHead(200, { etag: '"v1"' }).end('body');
  });
  const res = await get(`${up.url}/index.yaml`, { headers: { 'If-None-Match': '"v1"' } });
  t.equal(res.status, 304);
  t.equal(res.body.length, 0);
});

t.test('redirects: 5 are followed, a 6th is refused; relative Locations resolve', async (t) => {
  // /hop/N redirects to /hop/N-1 with each redirect status in turn; /hop/0 answers.
  const statuses = [301, 302, 303, 307, 308];
  const up = await serve(t, (req, res) => {
    const n = Number(/^\/hop\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    if (n === 0) return res.writeHead(200).end('landed');
    res.writeHead(statuses[n % statuses.length]!, { location: `/hop/${n - 1}` }).end();
  });
  const five = await get(`${up.url}/hop/5`);
  t.equal(five.body.toString(), 'landed');
  t.equal(five.url, `${up.url}/hop/0`);
  t.equal(up.seen.length, 6);
  const six = await failure(get(`${up.url}/hop/6`));
  t.match(six.message, `cannot fetch the index from ${up.url}/hop/1: more than 5 redirects`);
  t.equal(six.kind, 'refused');

  const rel = await serve(t, (req, res) => {
    if (req.url === '/a/b/index.yaml') return res.writeHead(302, { location: '../c/index.yaml?x=1' }).end();
    res.writeHead(200).end(req.url);
  });
  const res = await get(`${rel.url}/a/b/index.yaml`);
  t.equal(res.body.toString(), '/a/c/index.yaml?x=1', 'resolved against the URL that redirected');
});

t.test('a redirect to another scheme is refused', async (t) => {
  const up = await serve(t, (req, res) => {
    const to = req.url === '/tls' ? `https://127.0.0.1:${up.port}/index.yaml` : 'ftp://127.0.0.1/index.yaml';
    res.writeHead(301, { location: to }).end();
  });
  const tls = await failure(get(`${up.url}/tls`));
  t.match(tls.message, /redirect from http to https refused/);
  const ftp = await failure(get(`${up.url}/ftp`));
  t.match(ftp.message, /redirect from http to ftp refused/);
  t.equal(up.seen.length, 2, 'nothing fetched after the refusal');
});

t.test('credentials go to their origin only, never after a redirect to another origin', async (t) => {
  const password = 'pa55-w0rd-never-shown';
  const other = await serve(t, (_req, res) => res.writeHead(200).end('from the other origin'));
  const home = await serve(t, (req, res) => {
    if (req.url === '/index.yaml') return res.writeHead(302, { location: `${other.url}/elsewhere.tgz` }).end();
    if (req.url === '/back') return res.writeHead(302, { location: `/index-here.yaml` }).end();
    res.writeHead(200).end('here');
  });
  const credentials = { username: 'reader', password };
  const basic = `Basic ${Buffer.from(`reader:${password}`).toString('base64')}`;

  const res = await get(`${home.url}/index.yaml`, { credentials });
  t.equal(res.body.toString(), 'from the other origin');
  t.equal(home.seen[0]!.headers.authorization, basic, 'sent to the repository origin');
  t.notOk(other.seen[0]!.headers.authorization, 'not sent to 127.0.0.1 on another port');

  await get(`${home.url}/back`, { credentials });
  t.equal(home.seen[2]!.headers.authorization, basic, 'a redirect within the origin keeps them');

  // The origin is the repository's, not the first URL's: a chart on another host gets none.
  await get(`${other.url}/chart.tgz`, { credentials, credentialsOrigin: home.url });
  t.notOk(other.seen[1]!.headers.authorization, 'a chart URL on another origin gets no credentials');

  await get(`${home.url}/index.yaml`, { bearer: 'tok-123', credentialsOrigin: `${home.url}/` });
  t.equal(home.seen[3]!.headers.authorization, 'Bearer tok-123');
  t.notOk(other.seen[2]!.headers.authorization, 'nor a bearer token');

  const err = await failure(get(`${home.url}/index.yaml`, { credentials, maxBytes: 4 }));
  t.notMatch(err.message, password);
  t.notMatch(err.message, basic.slice(6));

  await t.rejects(get(home.url, { headers: { Authorization: basic } }), /not the caller's/, 'no way around the rule');
});

t.test('bodies are cut at their limit', async (t) => {
  let endlessClosed = false;
  const up = await serve(t, (req, res) => {
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': String(64 * 1024 * 1024 + 1) });
      res.write('x'); // and then nothing: the declared size alone is refused
      return;
    }
    if (req.url === '/error-page') return res.writeHead(404).end(Buffer.alloc(200 * 1024, 'e'));
    if (req.url === '/small') return res.writeHead(200).end(Buffer.alloc(2048, 'y'));
    // An endless chunked body, written as fast as the socket takes it.
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => (endlessClosed = true));
    res.writeHead(200);
    pump();
  });

  const declared = await failure(get(`${up.url}/declared`, { maxBytes: 64 * 1024 * 1024 }));
  t.equal(declared.message, `cannot fetch the index from ${up.url}/declared: the index is larger than 64 MiB`);
  t.equal(declared.kind, 'too-large');

  const small = await failure(get(`${up.url}/small`, { maxBytes: 1000, what: 'chart redis 17.11.6' }));
  t.match(small.message, /chart redis 17\.11\.6 is larger than 1000 bytes$/);

  const started = Date.now();
  const endless = await failure(get(`${up.url}/endless`, { maxBytes: 4 * 1024 * 1024 }));
  t.match(endless.message, /the index is larger than 4 MiB/);
  t.ok(Date.now() - started < 5000, 'cut quickly');
  await new Promise((r) => setTimeout(r, 100));
  t.ok(endlessClosed, 'the connection is closed, not drained');

  const page = await get(`${up.url}/error-page`, { maxBytes: 1 });
  t.equal(page.status, 404, 'a non-2xx answer is returned, not an error');
  t.equal(page.body.length, 64 * 1024, 'its body read up to 64 KiB only');
});

t.test('timeouts: no answer, and silence in the body', async (t) => {
  const up = await serve(t, (req, res) => {
    if (req.url === '/stall-body') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    }
    // otherwise: never answer
  });
  const policy = { ...open, timeoutMs: 300 };
  const started = Date.now();
  const silent = await failure(get(`${up.url}/silent`, {}, policy));
  t.equal(silent.message, `cannot fetch the index from ${up.url}/silent: timed out after 0.3 s`);
  t.equal(silent.kind, 'timeout');
  t.ok(Date.now() - started < 2000);
  const stalled = await failure(get(`${up.url}/stall-body`, {}, policy));
  t.match(stalled.message, /timed out after 0\.3 s/);
});

t.test('the sync signal aborts a request in flight', async (t) => {
  const up = await serve(t, () => {
    // never answers
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  const err = await failure(get(`${up.url}/index.yaml`, {}, { ...open, signal: controller.signal }));
  t.equal(err.kind, 'aborted');
  t.match(err.message, /stopped: the sync was cancelled/);
  t.ok(Date.now() - started < 2000);

  const deadline = await failure(get(`${up.url}/index.yaml`, {}, { ...open, signal: AbortSignal.timeout(50) }));
  t.match(deadline.message, /the sync ran out of time/);
  const before = up.seen.length;
  await failure(get(`${up.url}/index.yaml`, {}, { ...open, signal: AbortSignal.abort() }));
  t.equal(up.seen.length, before, 'an aborted sync sends nothing');
});

t.test('network failures say what happened', async (t) => {
  const up = await serve(t, (_req, res) => res.writeHead(200).end());
  const port = up.port;
  await new Promise<void>((r) => up.server.close(() => r()));
  const refused = await failure(get(`http://127.0.0.1:${port}/index.yaml`));
  t.equal(refused.message, `cannot fetch the index from http://127.0.0.1:${port}/index.yaml: connection refused`);
  t.equal(refused.kind, 'network');
  const unknown = await failure(
    get('http://nowhere.test/index.yaml', {}, { ...open, lookup: () => Promise.reject(notFound()) }),
  );
  t.match(unknown.message, /host nowhere\.test not found/);
});

function notFound(): Error {
  return Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
}

t.test('URLs: http and https only, no credentials in them, no query in messages', async (t) => {
  t.match((await failure(get('oci://registry.test/charts/redis'))).message, /only http and https URLs/);
  const userinfo = await failure(get('https://user:hunter2@charts.test/index.yaml'));
  t.match(userinfo.message, /credentials in the URL are refused/);
  t.notMatch(userinfo.message, 'hunter2');
  const err = await failure(get('http://127.0.0.1:9/x.tgz?X-Amz-Signature=secret', {}, closed));
  t.match(err.message, 'http://127.0.0.1:9/x.tgz?…');
  t.notMatch(err.message, 'secret');
});

t.test('non-public addresses are refused without CHARTROOM_IMPORT_ALLOW_PRIVATE', async (t) => {
  const up = await serve(t, (_req, res) => res.writeHead(200).end('should not be reached'));
  const literal = await failure(get(`${up.url}/index.yaml`, {}, closed));
  t.equal(
    literal.message,
    `cannot fetch the index from ${up.url}/index.yaml: refused: 127.0.0.1 is a loopback address ` +
      '(set CHARTROOM_IMPORT_ALLOW_PRIVATE=true to allow private upstreams)',
  );
  t.equal(literal.kind, 'refused');
  const v6 = await failure(get('http://[::1]:8080/index.yaml', {}, closed));
  t.match(v6.message, /refused: ::1 is a loopback address/);

  // Names are checked after resolution, in the connection's own lookup.
  const cases: Array<[string, string]> = [
    ['10.0.0.1', 'a private'],
    ['169.254.169.254', 'a cloud metadata'],
    ['::1', 'a loopback'],
    ['::ffff:127.0.0.1', 'a loopback'],
    ['fd00:ec2::254', 'a cloud metadata'],
  ];
  for (const [address, kind] of cases) {
    const policy = { ...closed, lookup: async () => [{ address, family: net.isIP(address) }] };
    const err = await failure(get(`http://upstream.test:${up.port}/index.yaml`, {}, policy));
    t.match(err.message, `refused: upstream.test resolves to ${address}, ${kind} address`, address);
  }
  // A name with one private answer among public ones is refused whichever would be tried first.
  const mixed = await failure(
    get(
      `http://upstream.test:${up.port}/`,
      {},
      {
        ...closed,
        lookup: async () => [
          { address: '8.8.8.8', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
      },
    ),
  );
  t.match(mixed.message, /resolves to 127\.0\.0\.1, a loopback address/);
  t.equal(up.seen.length, 0, 'no request reached the server');

  const allowed = await get(
    `http://upstream.test:${up.port}/index.yaml`,
    {},
    {
      ...open,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    },
  );
  t.equal(allowed.status, 200, 'allowed with CHARTROOM_IMPORT_ALLOW_PRIVATE=true, through the same lookup');
});

t.test('every redirect hop is checked: a public first hop cannot lead to a private address', async (t) => {
  // A test server can only listen on loopback, so the first hop's 127.0.0.1 is exempted
  // (exemptAddresses exists for this); the hops after it are judged like any address.
  const inner = await serve(t, (_req, res) => res.writeHead(200).end('internal'), '127.0.0.2');
  const first = await serve(t, (req, res) => {
    const to: Record<string, string> = {
      '/to-loopback': `${inner.url}/secret`,
      '/to-metadata': 'http://metadata.test/latest/meta-data/',
      '/to-private': 'http://intranet.test/',
      '/stay': '/index.yaml',
    };
    if (to[req.url ?? '']) return res.writeHead(302, { location: to[req.url ?? ''] }).end();
    res.writeHead(200).end('public');
  });
  const policy: FetchPolicy = {
    ...closed,
    exemptAddresses: ['127.0.0.1'],
    lookup: async (host) => [{ address: host === 'metadata.test' ? '169.254.169.254' : '10.1.2.3', family: 4 }],
  };
  t.equal((await get(`${first.url}/stay`, {}, policy)).body.toString(), 'public', 'the exempted hop works');
  const loop = await failure(get(`${first.url}/to-loopback`, {}, policy));
  t.match(loop.message, `cannot fetch the index from ${inner.url}/secret: refused: 127.0.0.2 is a loopback address`);
  const meta = await failure(get(`${first.url}/to-metadata`, {}, policy));
  t.match(meta.message, /metadata\.test resolves to 169\.254\.169\.254, a cloud metadata address/);
  const priv = await failure(get(`${first.url}/to-private`, {}, policy));
  t.match(priv.message, /intranet\.test resolves to 10\.1\.2\.3, a private address/);
  t.equal(inner.seen.length, 0, 'the loopback server behind the redirect was never reached');
});

t.test('isNonPublicAddress', async (t) => {
  const nonPublic = [
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    'fc00::1',
    'fd12:3456::1',
    'fd00:ec2::254',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '100::1',
    '::10.0.0.1',
    'not-an-address',
  ];
  const isPublic = [
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '193.0.0.1',
    '2606:4700::1',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 of 8.8.8.8
    '2002:808:808::1', // 6to4 of 8.8.8.8
  ];
  for (const a of nonPublic) t.equal(isNonPublicAddress(a), true, `${a} is not public`);
  for (const a of isPublic) t.equal(isNonPublicAddress(a), false, `${a} is public`);
});

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(1000), '1000 bytes');
});
