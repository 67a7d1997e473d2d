// Odd input never makes the server answer 5xx: every route is called with strange
// path segments, query strings and bodies, as the admin (who passes every access check).
import t from 'tap';
import { adminAuth, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

const ODD_SEGMENTS = ['%00', '..', '.', '%2e%2e', 'a%2Fb', 'x'.repeat(600), '%E2%82', 'ünïcødé', '-1', '99999999999999999999', ' ', 'latest', '1.0.0+meta', 'v1.2', '%27%3B--'];
const ODD_QUERIES = ['', '?limit=-1', '?limit=abc', '?limit=100000', '?cursor=%%%', '?cursor=eyJhZnRlciI6LTF9', '?sort=x', '?status=nope', '?q=' + '%'.repeat(3), '?category=' + 'x'.repeat(100), '?force=maybe'];
const ODD_BODIES: Array<{ payload: string | Buffer; type: string }> = [
  { payload: '{', type: 'application/json' },
  { payload: '[]', type: 'application/json' },
  { payload: 'null', type: 'application/json' },
  { payload: '{"action": 5, "name": null, "role": []}', type: 'application/json' },
  { payload: Buffer.from([0xff, 0xfe, 0x00, 0x01]), type: 'application/octet-stream' },
  { payload: '--x\r\nContent-Disposition: form-data; name="chart"\r\n\r\nnot a file\r\n--x--\r\n', type: 'multipart/form-data; boundary=x' },
  { payload: 'a: [', type: 'application/yaml' },
];

t.test('no route answers 5xx to odd input', async (t) => {
  const routes: Array<{ method: string; url: string }> = [];
  const { app } = await testApp(t, { onRoute: (r) => { for (const m of [r.method].flat()) if (m !== 'HEAD' && !r.url.startsWith('/docs')) routes.push({ method: m, url: r.url }); } });
  const auth = { authorization: adminAuth };
  await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'demo' } });
  await app.inject({ method: 'POST', url: '/api/workspaces/demo/charts', headers: { ...auth, 'content-type': 'application/gzip' }, payload: makeChart() });
  let calls = 0;
  const failures: string[] = [];
  for (const route of routes) {
    const params = route.url.match(/:[a-z]+/g) ?? [];
    const urls = params.length === 0
      ? ODD_QUERIES.map((q) => route.url + q)
      : ODD_SEGMENTS.flatMap((seg) => params.map((p) => route.url.replace(p, seg).replace(/:ws\b/, 'demo').replace(/:app\b/, 'demo').replace(/:[a-z]+/g, '0.1.0')));
    for (const url of urls) {
      const bodies = route.method === 'GET' || route.method === 'DELETE' ? [undefined] : ODD_BODIES;
      for (const body of bodies) {
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...auth, ...(body ? { 'content-type': body.type } : {}) },
          ...(body ? { payload: body.payload } : {}),
        });
        calls++;
        if (res.statusCode >= 500) failures.push(`${route.method} ${url} ${body?.type ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
  }
  t.ok(calls > 1000, `${calls} odd requests sent`);
  const nul = await app.inject({ url: '/api/v1/roles/a%00b', headers: auth });
  t.equal(nul.statusCode, 400);
  t.match(nul.json(), { code: 'bad-request', detail: /NUL byte/ });
  const nulBody = await app.inject({ method: 'PATCH', url: '/api/v1/workspaces/demo', headers: auth, payload: { displayName: 'a\u0000b' } });
  t.equal(nulBody.statusCode, 400, 'a NUL inside a JSON string is refused too');
  t.same(failures, [], 'no 5xx');
});
