// Names from input that are also the names of Object.prototype's properties
// ("__proto__", "constructor", "toString"...) must be ordinary names: a chart so named
// is listed like any other, and looking such a name up never finds an inherited member.
import t from 'tap';
import yaml from 'js-yaml';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { inspectIcon } from '../../src/icons/icons.js';
import { AppError } from '../../src/errors.js';

const auth = { authorization: adminAuth };
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

/** An own property, read without going through any __proto__ accessor. */
function own(obj: unknown, key: string): unknown {
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

t.test('charts named like Object.prototype members are listed everywhere', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  for (const name of NAMES) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { ...auth, 'content-type': 'application/gzip' },
      payload: makeChart({ name, version: '1.0.0' }),
    });
    t.equal(res.statusCode, 201, `${name} uploaded`);
  }

  const index = yaml.load((await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: auth })).body) as {
    entries: object;
  };
  t.same(Object.keys(index.entries).sort(), [...NAMES].sort(), 'index.yaml lists every chart');
  for (const name of NAMES) {
    t.match(
      own(index.entries, name),
      [{ name, version: '1.0.0', urls: [`charts/${name}-1.0.0.tgz`] }],
      `index.yaml entry for ${name}`,
    );
  }

  const listing = await app.inject({ url: `/api/workspaces/${ws}/charts`, headers: auth });
  const charts = JSON.parse(listing.body) as object;
  t.same(Object.keys(charts).sort(), [...NAMES].sort(), 'the ChartMuseum listing shows every chart');
  for (const name of NAMES) {
    t.match(own(charts, name), [{ name, version: '1.0.0' }], `ChartMuseum listing entry for ${name}`);
    const one = await app.inject({ url: `/api/workspaces/${ws}/charts/${name}`, headers: auth });
    t.match(one.json(), [{ name, version: '1.0.0' }], `GET /api/workspaces/${ws}/charts/${name}`);
  }

  const f = await new StoreFixture(app, 'isv').setUp();
  await f.release('__proto__', '2.0.0');
  await f.release('constructor', '2.0.0');
  const store = yaml.load((await app.inject({ url: '/store/index.yaml' })).body) as { entries: object };
  t.same(Object.keys(store.entries).sort(), ['__proto__', 'constructor'], 'the store index lists both');
  t.match(own(store.entries, '__proto__'), [{ name: '__proto__', version: '2.0.0' }]);
  t.match(own(store.entries, 'constructor'), [{ name: 'constructor', version: '2.0.0' }]);
  t.equal((await app.inject({ url: '/store/charts/__proto__-2.0.0.tgz' })).statusCode, 200, 'and serves the package');
});

t.test('a version file named like an Object.prototype member is not found', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: makeChart(),
  });
  for (const file of Object.getOwnPropertyNames(Object.prototype)) {
    const res = await app.inject({
      url: `/api/v1/workspaces/${ws}/apps/demo/versions/0.1.0/files/${file}`,
      headers: auth,
    });
    t.equal(res.statusCode, 404, file);
    t.match(res.json(), { code: 'not-found', detail: /available: README\.md, values\.yaml/ }, file);
  }
});

t.test('an SVG icon cannot name an Object.prototype member as an entity', async (t) => {
  for (const entity of ['constructor', 'toString', '__proto__']) {
    const svg = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&${entity};</text></svg>`,
    );
    t.throws(
      () => inspectIcon(svg),
      new AppError('icon-invalid', `the SVG uses the undefined entity &${entity};`),
      entity,
    );
  }
});
