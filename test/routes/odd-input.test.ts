// Odd input never makes the server answer 5xx: every route is called with strange
// path segments, query strings and bodies, as the admin (who passes every access check).
// Besides hand-picked oddities, whole classes are generated from what the app declares:
// path segments named like Object.prototype's members, malformed multipart forms for
// every route taking a body, JSON bodies built from each route's body schema with a
// lone UTF-16 surrogate or an odd date in each field in turn, and chart uploads with a
// lone surrogate in each field of Chart.yaml.
import t from 'tap';
import type { FastifySchema } from 'fastify';
import { adminAuth, countRowsAndBlobs, testApp, type TestApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

const auth = { authorization: adminAuth };
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);
const ODD_SEGMENTS = [
  '%00',
  '..',
  '.',
  '%2e%2e',
  'a%2Fb',
  'x'.repeat(600),
  '%E2%82',
  'ünïcødé',
  '-1',
  '99999999999999999999',
  ' ',
  'latest',
  '1.0.0+meta',
  'v1.2',
  '%27%3B--',
  '%ED%A0%80', // the UTF-8 bytes of a lone surrogate (which no UTF-8 decoder accepts)
];
const ODD_QUERIES = [
  '',
  '?limit=-1',
  '?limit=abc',
  '?limit=100000',
  '?cursor=%%%',
  '?cursor=eyJhZnRlciI6LTF9',
  '?sort=x',
  '?status=nope',
  '?q=' + '%'.repeat(3),
  '?category=' + 'x'.repeat(100),
  '?force=maybe',
  '?q=%ED%A0%80',
  ...PROTO_NAMES.map((n) => `?${n}=1`),
];
const ODD_BODIES: Array<{ payload: string | Buffer; type: string }> = [
  { payload: '{', type: 'application/json' },
  { payload: '[]', type: 'application/json' },
  { payload: 'null', type: 'application/json' },
  { payload: '{"action": 5, "name": null, "role": []}', type: 'application/json' },
  { payload: '{"__proto__": {"admin": true}, "constructor": {"prototype": {}}}', type: 'application/json' },
  { payload: '"\\ud800"', type: 'application/json' },
  { payload: Buffer.from([0xff, 0xfe, 0x00, 0x01]), type: 'application/octet-stream' },
  {
    payload: '--x\r\nContent-Disposition: form-data; name="chart"\r\n\r\nnot a file\r\n--x--\r\n',
    type: 'multipart/form-data; boundary=x',
  },
  { payload: 'a: [', type: 'application/yaml' },
];
const PLAIN_BODY = { payload: '{}', type: 'application/json' };
const LONE_SURROGATES = ['\ud800', 'a\udc00b', '\udbff', '\udfff\ud800'];
// Leap seconds, year 0, 24:00, days that do not exist, years Date or Postgres cannot hold.
const ODD_DATES = [
  '2030-12-31T23:59:60Z',
  '2030-06-30T23:59:60+01:00',
  '0000-01-01T00:00:00Z',
  '2030-01-01T24:00:00Z',
  '2030-02-30T12:00:00Z',
  '2030-13-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999999999Z',
  '2030-01-01T00:00:00+24:00',
];

interface Route {
  method: string;
  url: string;
  schema?: FastifySchema;
}

/** An app with workspace "demo" holding chart demo 0.1.0, and every route it declares. */
async function appWithRoutes(t: Parameters<typeof testApp>[0]): Promise<TestApp & { routes: Route[] }> {
  const routes: Route[] = [];
  const made = await testApp(t, {
    onRoute: (r) => {
      for (const m of [r.method].flat()) {
        if (m !== 'HEAD' && !r.url.startsWith('/docs')) routes.push({ method: m, url: r.url, schema: r.schema });
      }
    },
  });
  await made.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'demo' } });
  await made.app.inject({
    method: 'POST',
    url: '/api/workspaces/demo/charts',
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: makeChart(),
  });
  return { ...made, routes };
}

/** The route's URL with its parameters naming what exists: workspace and app "demo", version 0.1.0. */
function plainUrl(url: string): string {
  return url
    .replace(/:ws\b/, 'demo')
    .replace(/:app\b/, 'demo')
    .replace(/:[a-z]+/g, '0.1.0');
}

const takesBody = (r: Route) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';

t.test('no route answers 5xx to odd input', async (t) => {
  const { app, routes } = await appWithRoutes(t);
  let calls = 0;
  const failures: string[] = [];
  for (const route of routes) {
    const params = route.url.match(/:[a-z]+/g) ?? [];
    // Each odd body goes with each odd segment; a name from Object.prototype (a lookup
    // class of its own) goes with one plain body, which keeps the run short.
    const urls =
      params.length === 0
        ? ODD_QUERIES.map((q) => ({ url: route.url + q, bodies: ODD_BODIES }))
        : [
            ...ODD_SEGMENTS.flatMap((seg) =>
              params.map((p) => ({ url: plainUrl(route.url.replace(p, seg)), bodies: ODD_BODIES })),
            ),
            ...PROTO_NAMES.flatMap((seg) =>
              params.map((p) => ({ url: plainUrl(route.url.replace(p, seg)), bodies: [PLAIN_BODY] })),
            ),
          ];
    for (const { url, bodies: oddBodies } of urls) {
      const bodies = takesBody(route) ? oddBodies : [undefined];
      for (const body of bodies) {
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...auth, ...(body ? { 'content-type': body.type } : {}) },
          ...(body ? { payload: body.payload } : {}),
        });
        calls++;
        if (res.statusCode >= 500) {
          failures.push(`${route.method} ${url} ${body?.type ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
  }
  t.ok(calls > 1000, `${calls} odd requests sent`);
  const nul = await app.inject({ url: '/api/v1/roles/a%00b', headers: auth });
  t.equal(nul.statusCode, 400);
  t.match(nul.json(), { code: 'bad-request', detail: /NUL byte/ });
  const nulBody = await app.inject({
    method: 'PATCH',
    url: '/api/v1/workspaces/demo',
    headers: auth,
    payload: { displayName: 'a\u0000b' },
  });
  t.equal(nulBody.statusCode, 400, 'a NUL inside a JSON string is refused too');
  t.same(failures, [], 'no 5xx');
});

/** Malformed versions of a good multipart form (a chart, a text field), as the parser meets them. */
function malformedForms(): Array<{ label: string; type: string; payload: Buffer }> {
  const b = 'chartroomboundary';
  const chart = makeChart();
  const head = (disposition: string, type = 'application/octet-stream') =>
    `--${b}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${type}\r\n\r\n`;
  const good = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="updateLog"\r\n\r\nnotes\r\n`),
    Buffer.from(head('form-data; name="chart"; filename="demo-0.1.0.tgz"')),
    chart,
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  const type = `multipart/form-data; boundary=${b}`;
  const forms = [
    { label: 'no boundary parameter', type: 'multipart/form-data', payload: good },
    { label: 'empty boundary', type: 'multipart/form-data; boundary=', payload: good },
    {
      label: 'boundary over 256 characters',
      type: `multipart/form-data; boundary=${'b'.repeat(300)}`,
      payload: Buffer.from(good.toString('latin1').replaceAll(b, 'b'.repeat(300)), 'latin1'),
    },
    { label: 'boundary not in the body', type: 'multipart/form-data; boundary=other', payload: good },
    {
      label: 'part without a name',
      type,
      payload: Buffer.from(`${head('form-data; filename="a.tgz"')}data\r\n--${b}--\r\n`),
    },
    {
      label: 'part without Content-Disposition',
      type,
      payload: Buffer.from(`--${b}\r\nContent-Type: text/plain\r\n\r\ndata\r\n--${b}--\r\n`),
    },
    {
      label: 'malformed part header',
      type,
      payload: Buffer.from(`--${b}\r\nContent-Disposition\r\nno colon here\r\n\r\ndata\r\n--${b}--\r\n`),
    },
    {
      label: 'part header never ends',
      type,
      payload: Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="chart"; filename="a"\r\n`),
    },
    {
      label: 'text field declared JSON but not JSON',
      type,
      payload: Buffer.from(`${head('form-data; name="updateLog"', 'application/json')}{\r\n--${b}--\r\n`),
    },
    {
      label: 'chart part declared text/plain',
      type,
      payload: Buffer.from(`${head('form-data; name="chart"; filename="a.tgz"', 'text/plain')}hello\r\n--${b}--\r\n`),
    },
    {
      label: 'field named __proto__',
      type,
      payload: Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n--${b}--\r\n`),
    },
    { label: 'not multipart at all', type, payload: Buffer.from('just text') },
    { label: 'empty body', type, payload: Buffer.alloc(0) },
  ];
  // The good form cut short at several points: in the headers, in the chart's bytes, before the end.
  for (const at of [
    10,
    60,
    good.length - chart.length - 20,
    good.length - Math.floor(chart.length / 2),
    good.length - 8,
  ]) {
    forms.push({ label: `truncated at byte ${at}`, type, payload: good.subarray(0, at) });
  }
  return forms;
}

t.test('malformed multipart forms get a 4xx from every route taking a body', async (t) => {
  const { app, routes } = await appWithRoutes(t);
  const before = await countRowsAndBlobs(app);
  const failures: string[] = [];
  let calls = 0;
  for (const route of routes.filter(takesBody)) {
    for (const form of malformedForms()) {
      const url = plainUrl(route.url);
      const res = await app.inject({
        method: route.method as 'POST',
        url,
        headers: { ...auth, 'content-type': form.type },
        payload: form.payload,
      });
      calls++;
      if (res.statusCode >= 500) {
        failures.push(`${route.method} ${url} (${form.label}) → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
  }
  for (const url of [
    '/api/workspaces/demo/charts',
    '/api/workspaces/demo/prov',
    '/api/v1/workspaces/demo/apps',
    '/api/v1/workspaces/demo/apps/demo/versions',
  ]) {
    for (const form of malformedForms()) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { ...auth, 'content-type': form.type },
        payload: form.payload,
      });
      if (res.statusCode < 400 || res.statusCode >= 500 || !/"(detail|error)":"[^"]{10,}/.test(res.body)) {
        failures.push(`${url} (${form.label}) → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
  }
  t.ok(calls > 200, `${calls} malformed forms sent`);
  t.same(failures, [], 'a 4xx with a message for every one');
  t.same(await countRowsAndBlobs(app), before, 'nothing stored');
});

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minLength?: number;
  minimum?: number;
  minItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** A value the schema accepts where it can (the baseline a variant changes one field of). */
function sample(s: JsonSchema): unknown {
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt && alt.length > 0) return sample(alt[alt.length - 1] as JsonSchema);
  const type = [s.type].flat()[0];
  if (type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  if (type === 'array') return s.items && s.minItems ? [sample(s.items)] : [];
  if (type === 'integer' || type === 'number') return s.minimum ?? 1;
  if (type === 'boolean') return false;
  if (s.format === 'date-time') return '2031-01-01T00:00:00Z';
  if (s.format === 'email') return 'someone@example.com';
  if (s.format === 'uri') return 'https://example.com/';
  return 'x'.repeat(Math.max(1, s.minLength ?? 1));
}

/** Every place a value can go in a body of this schema: each property, and an item of each array. */
function fieldPaths(s: JsonSchema, path: Array<string | number> = []): Array<Array<string | number>> {
  const type = [s.type].flat()[0];
  if (type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => [[...path, k], ...fieldPaths(v, [...path, k])]);
  }
  if (type === 'array' && s.items) return [[...path, 0], ...fieldPaths(s.items, [...path, 0])];
  return [];
}

function withValue(base: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let at = copy;
  path.slice(0, -1).forEach((k, i) => {
    if (at[k] === null || typeof at[k] !== 'object') at[k] = typeof path[i + 1] === 'number' ? [] : {};
    at = at[k] as Record<string | number, unknown>;
  });
  at[path[path.length - 1] as string | number] = value;
  return copy;
}

t.test('JSON bodies with a lone surrogate or an odd date in any field', async (t) => {
  const { app, routes } = await appWithRoutes(t);
  const failures: string[] = [];
  let calls = 0;
  const bodyRoutes = routes
    .filter((r) => takesBody(r) && (r.schema?.body as JsonSchema | undefined)?.type === 'object')
    // A wrong current password counts as a failed sign-in; the lockout it earns must not hide other routes' answers.
    .sort((a, b) => Number(a.url.endsWith('/password')) - Number(b.url.endsWith('/password')));
  t.ok(bodyRoutes.length >= 10, `${bodyRoutes.length} routes declare a JSON body`);
  const variants = (route: Route) => {
    const schema = route.schema?.body as JsonSchema;
    // Each field in turn, and an extra property whose name is a lone surrogate.
    return { base: sample(schema), paths: [...fieldPaths(schema), ['\ud800']] };
  };
  const send = (route: Route, body: unknown) => {
    calls++;
    return app.inject({
      method: route.method as 'POST',
      url: plainUrl(route.url),
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  };
  // Lone surrogates first: they are refused before any handler runs, so no sign-in fails.
  for (const route of bodyRoutes) {
    const { base, paths } = variants(route);
    for (const path of paths) {
      // A lone surrogate as the value, or as a key inside it.
      for (const odd of [...LONE_SURROGATES, { '\udc00': 'x' }]) {
        const res = await send(route, withValue(base, path, odd));
        if (res.statusCode !== 400 || !/lone UTF-16 surrogate/.test(res.body)) {
          failures.push(
            `${route.method} ${route.url} ${path.join('.')} = ${JSON.stringify(odd)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
        }
      }
    }
  }
  const leap = await app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: auth,
    payload: { name: 'leap', expiresAt: '2030-12-31T23:59:60Z' },
  });
  t.match(
    leap.json(),
    { status: 400, code: 'validation-failed', detail: /expiresAt "2030-12-31T23:59:60Z" .*leap second/ },
    'a leap second is named',
  );
  for (const route of bodyRoutes) {
    const { base, paths } = variants(route);
    for (const path of paths) {
      for (const date of ODD_DATES) {
        const res = await send(route, withValue(base, path, date));
        if (res.statusCode >= 500) {
          failures.push(
            `${route.method} ${route.url} ${path.join('.')} = ${date} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
        }
      }
    }
  }
  t.ok(calls > 300, `${calls} bodies sent`);
  t.same(failures, [], 'lone surrogates get a 400 naming them; odd dates never a 5xx');
});

// Every field Helm's Chart.yaml knows, filled in; each string and key in turn gets a lone surrogate.
const FULL_CHART = {
  apiVersion: 'v2',
  name: 'odd',
  version: '1.0.0',
  appVersion: '1.0',
  description: 'd',
  home: 'https://example.com',
  sources: ['https://example.com/src'],
  keywords: ['k'],
  maintainers: [{ name: 'm', email: 'm@example.com', url: 'https://example.com' }],
  icon: 'https://example.com/i.png',
  condition: 'c',
  tags: 't',
  deprecated: false,
  annotations: { a: 'b' },
  kubeVersion: '>=1.20.0',
  dependencies: [
    {
      name: 'dep',
      version: '1.0.0',
      repository: 'https://example.com/charts',
      condition: 'dep.enabled',
      tags: ['t'],
      enabled: true,
      'import-values': ['x'],
      alias: 'd2',
    },
  ],
  type: 'application',
};

function stringPlaces(
  v: unknown,
  path: Array<string | number> = [],
): Array<{ path: Array<string | number>; key: boolean }> {
  if (typeof v === 'string') return [{ path, key: false }];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPlaces(x, [...path, i]));
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => [
      ...(path.length > 0 ? [{ path: [...path, k], key: true }] : []),
      ...stringPlaces(x, [...path, k]),
    ]);
  }
  return [];
}

t.test('chart uploads with a lone surrogate in any Chart.yaml string', async (t) => {
  const { app } = await appWithRoutes(t);
  const failures: string[] = [];
  const places = stringPlaces(FULL_CHART);
  t.ok(places.length > 25, `${places.length} strings and keys`);
  let stored = 0;
  for (const [i, place] of places.entries()) {
    const chartDoc = { ...FULL_CHART, version: `1.0.${i}` };
    let doc: unknown;
    if (place.key) {
      const parent = place.path
        .slice(0, -1)
        .reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], chartDoc) as Record<string, unknown>;
      const last = place.path[place.path.length - 1] as string;
      doc = withValue(
        chartDoc,
        place.path.slice(0, -1),
        Object.fromEntries(Object.entries(parent).map(([k, x]) => [k === last ? `${k}\ud800` : k, x])),
      );
    } else {
      doc = withValue(chartDoc, place.path, `${place.path.join('.')}\ud800`);
    }
    // JSON is YAML: JSON.stringify writes the surrogate as the escape "\ud800", as a YAML
    // double-quoted string would.
    const chart = makeChart({ name: 'odd', chartYaml: JSON.stringify(doc) });
    const res = await app.inject({
      method: 'POST',
      url: '/api/workspaces/demo/charts',
      headers: { ...auth, 'content-type': 'application/gzip' },
      payload: chart,
    });
    const what = `${place.key ? 'key ' : ''}${place.path.join('.')}`;
    if (res.statusCode === 201 && place.key) {
      // A key Helm does not know (in a maintainer, say) is dropped, not stored: fine, if so.
      stored++;
      const entry = await app.inject({ url: `/api/workspaces/demo/charts/odd/1.0.${i}`, headers: auth });
      if (/\\ud[89a-f]/i.test(entry.body)) {
        failures.push(`${what} → stored with the surrogate: ${entry.body.slice(0, 200)}`);
      }
    } else if (res.statusCode !== 400 || res.json().code !== 'chart-invalid') {
      failures.push(`${what} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
  }
  const description = await app.inject({
    method: 'POST',
    url: '/api/workspaces/demo/charts',
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: makeChart({
      name: 'odd',
      chartYaml: 'apiVersion: v2\nname: odd\nversion: 1.0.0\ndescription: "\\ud800"\n',
    }),
  });
  t.match(description.json(), {
    code: 'chart-invalid',
    error: 'Chart.yaml: description holds a lone UTF-16 surrogate (such as "\\ud800"), which is not valid Unicode text',
  });
  t.same(failures, [], 'every one refused as chart-invalid (or the key dropped)');
  t.equal((await countRowsAndBlobs(app)).versions, 1 + stored, 'nothing else stored');
});
