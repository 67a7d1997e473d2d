// The store over HTTP: index and downloads, listing with filters, paging and
// counts, app detail, categories, suspension, store-name ownership, reviews,
// icons, files and the values check.
import t from 'tap';
import yaml from 'js-yaml';
import { adminAuth, countRowsAndBlobs, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { png } from '../helpers/images.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { sha256Hex } from '../../src/blobs/index.js';

type Index = { entries: Record<string, Array<{ version: string; digest: string; urls: string[] }>> };
const storeVersions = async (f: StoreFixture, name: string) => {
  const res = await f.app.inject({ url: '/store/index.yaml' });
  return ((yaml.load(res.body) as Index).entries[name] ?? []).map((e) => e.version);
};

for (const engine of engines()) {
  t.test(`${engine}: what the store shows`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    t.same(await storeVersions(f, 'web'), []);
    await f.upload('wsregular', makeChart({ name: 'web', version: '1.0.0' }));
    await f.upload('wsregular', makeChart({ name: 'web', version: '1.1.0' }));
    t.same(await storeVersions(f, 'web'), [], 'drafts never reach the store');
    await f.release('web', '1.0.0');
    t.same(await storeVersions(f, 'web'), ['1.0.0'], 'visible on the next request after release');
    const index = yaml.load((await app.inject({ url: '/store/index.yaml' })).body) as Index;
    t.same(index.entries.web?.[0]?.urls, ['charts/web-1.0.0.tgz']);
    let res = await app.inject({ url: '/store/charts/web-1.0.0.tgz' });
    t.equal(res.statusCode, 200, 'anonymous download');
    t.equal(sha256Hex(res.rawPayload), index.entries.web?.[0]?.digest);
    t.equal(
      (await app.inject({ url: '/store/charts/web-1.1.0.tgz' })).statusCode,
      404,
      'a draft is not downloadable from the store',
    );

    await f.release('web', '1.1.0');
    t.same(await storeVersions(f, 'web'), ['1.1.0', '1.0.0']);
    // version suspension
    t.equal((await f.act('reviewer', 'web', '1.1.0', 'suspend', 'CVE')).json().state, 'suspended');
    t.same(await storeVersions(f, 'web'), ['1.0.0']);
    t.equal((await app.inject({ url: '/store/charts/web-1.1.0.tgz' })).statusCode, 404);
    t.equal(
      (await f.people.as('viewer', 'GET', '/workspaces/demo/charts/web-1.1.0.tgz')).statusCode,
      200,
      'members still have it in the workspace repository',
    );
    // app suspension leaves version states alone
    res = await f.people.as('reviewer', 'POST', f.url('web', '/actions'), {
      action: 'suspend',
      message: 'license issue',
    });
    t.equal(res.statusCode, 200);
    t.equal(res.json().suspended, true);
    t.same(await storeVersions(f, 'web'), []);
    t.equal((await app.inject({ url: '/api/v1/store/apps/web' })).statusCode, 404);
    t.equal(
      (await f.people.as('reviewer', 'POST', f.url('web', '/actions'), { action: 'suspend' })).statusCode,
      409,
      'already suspended',
    );
    await f.people.as('reviewer', 'POST', f.url('web', '/actions'), { action: 'activate' });
    t.same(await storeVersions(f, 'web'), ['1.0.0'], 'the version suspended on its own stays suspended');
    await f.act('reviewer', 'web', '1.1.0', 'activate');
    t.same(await storeVersions(f, 'web'), ['1.1.0', '1.0.0']);
    res = await f.people.as('viewer', 'GET', f.url('web', '/events'));
    t.same(
      res
        .json()
        .items.slice(0, 4)
        .map((e: { action: string }) => e.action),
      ['activate', 'activate-app', 'suspend-app', 'suspend'],
    );

    // ETag on the store index moves with changes only
    const a = await app.inject({ url: '/store/index.yaml' });
    const b = await app.inject({ url: '/store/index.yaml', headers: { 'if-none-match': a.headers.etag as string } });
    t.equal(b.statusCode, 304);
  });

  t.test(`${engine}: a chart name belongs to one workspace in the store`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const g = new StoreFixture(app, 'other');
    await f.people.admin('POST', '/api/v1/workspaces', { name: 'other' });
    await f.people.addMembers('other');
    // share the people (same users) with the second workspace
    (g as unknown as { people: unknown }).people = f.people;
    await f.release('web', '1.0.0');
    await g.upload('wsregular', makeChart({ name: 'web', version: '2.0.0' }));
    await f.people.as('wsregular', 'PATCH', g.url('web'), { category: 'uncategorized' });
    await g.act('wsregular', 'web', '2.0.0', 'submit');
    await g.act('reviewer', 'web', '2.0.0', 'pass');
    const res = await g.act('wsregular', 'web', '2.0.0', 'release');
    t.equal(res.statusCode, 409);
    t.match(res.json(), {
      code: 'store-name-taken',
      owner: 'demo',
      detail: /already released to the store by workspace "demo"/,
    });
    t.equal(
      (await g.people.as('wsregular', 'GET', g.url('web', '/versions/2.0.0'))).json().state,
      'passed',
      'the refused release changed nothing',
    );
  });

  t.test(`${engine}: listing, filters, paging, counts and detail`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    let res = await f.people.as('reviewer', 'POST', '/api/v1/categories', {
      name: 'Database',
      description: 'Data stores',
    });
    t.equal(res.statusCode, 201);
    const db = res.json().id;
    await f.people.as('reviewer', 'POST', '/api/v1/categories', { name: 'Web' });
    await f.release('redis', '1.0.0', db);
    await f.release('postgres', '2.0.0', 'Database');
    await f.release('nginx', '1.0.0', 'Web');
    await f.upload('wsregular', makeChart({ name: 'draft-only', version: '1.0.0' }));
    await f.people.as('wsregular', 'PATCH', f.url('redis'), { description: 'An in-memory key-value store' });

    res = await app.inject({ url: '/api/v1/store/apps' });
    t.same(
      res.json().items.map((a: { name: string }) => a.name),
      ['nginx', 'postgres', 'redis'],
      'newest release first',
    );
    t.equal(res.json().total, 3);
    t.match(res.json().categories, [
      { name: 'uncategorized', storeApps: 0 },
      { name: 'Database', storeApps: 2 },
      { name: 'Web', storeApps: 1 },
    ]);
    res = await app.inject({ url: '/api/v1/store/apps?sort=name' });
    t.same(
      res.json().items.map((a: { name: string }) => a.name),
      ['nginx', 'postgres', 'redis'],
    );
    res = await app.inject({ url: `/api/v1/store/apps?category=${db}` });
    t.same(
      res
        .json()
        .items.map((a: { name: string }) => a.name)
        .sort(),
      ['postgres', 'redis'],
    );
    res = await app.inject({ url: '/api/v1/store/apps?category=Web' });
    t.same(
      res.json().items.map((a: { name: string }) => a.name),
      ['nginx'],
    );
    res = await app.inject({ url: '/api/v1/store/apps?q=KEY-VALUE' });
    t.same(
      res.json().items.map((a: { name: string }) => a.name),
      ['redis'],
      'keyword search in descriptions, any case',
    );
    res = await app.inject({ url: '/api/v1/store/apps?q=draft' });
    t.same(res.json().items, [], 'drafts are never found');
    // paging
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      res = await app.inject({ url: `/api/v1/store/apps?sort=name&limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      seen.push(...res.json().items.map((a: { name: string }) => a.name));
      cursor = res.json().nextCursor;
    } while (cursor);
    t.same(seen, ['nginx', 'postgres', 'redis']);
    t.equal((await app.inject({ url: '/api/v1/store/apps?sort=random' })).statusCode, 400);

    await f.release('redis', '1.1.0', db);
    res = await app.inject({ url: '/api/v1/store/apps/redis' });
    t.match(res.json(), {
      name: 'redis',
      workspace: 'demo',
      category: { name: 'Database' },
      description: 'An in-memory key-value store',
    });
    t.same(
      res.json().versions.map((v: { version: string }) => v.version),
      ['1.1.0', '1.0.0'],
    );
    t.match(res.json().values, /replicaCount/);
    t.equal((await app.inject({ url: '/api/v1/store/apps/draft-only' })).statusCode, 404);

    // categories: counts, no deleting while apps are in them, built-in stays
    res = await app.inject({ url: '/api/v1/categories' });
    t.match(
      res.json().items.find((c: { name: string }) => c.name === 'Database'),
      { storeApps: 2, description: 'Data stores' },
    );
    res = await f.people.as('reviewer', 'DELETE', `/api/v1/categories/${db}`);
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'category-in-use');
    t.equal(
      (await f.people.as('reviewer', 'DELETE', '/api/v1/categories/uncategorized')).json().code,
      'category-builtin',
    );
    t.equal(
      (await f.people.as('reviewer', 'POST', '/api/v1/categories', { name: 'Web' })).json().code,
      'category-exists',
    );
    res = await f.people.as('reviewer', 'PATCH', `/api/v1/categories/${db}`, { name: 'Databases' });
    t.equal(res.json().name, 'Databases');
    // the reviewer moves an app at any time, but may not edit anything else
    t.equal((await f.people.as('reviewer', 'PATCH', f.url('nginx'), { category: 'Databases' })).statusCode, 200);
    t.equal((await f.people.as('reviewer', 'PATCH', f.url('nginx'), { description: 'x' })).statusCode, 403);
    t.equal((await f.people.as('wsregular', 'PATCH', f.url('nginx'), { category: 'Nope' })).statusCode, 400);
    t.equal(
      (await f.people.as('reviewer', 'DELETE', '/api/v1/categories/Web')).statusCode,
      204,
      'an empty category can go',
    );
  });

  t.test(`${engine}: the review queue`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    for (const name of ['alpha', 'beta', 'gamma']) {
      await f.upload(
        'wsregular',
        makeChart({ name, version: '1.0.0', readme: `# ${name}\n` }),
        `release notes of ${name}`,
      );
      await f.people.as('wsregular', 'PATCH', f.url(name), { category: 'uncategorized' });
      await f.act('wsregular', name, '1.0.0', 'submit');
    }
    let res = await f.people.as('reviewer', 'GET', '/api/v1/reviews');
    t.same(
      res.json().items.map((i: { app: { name: string } }) => i.app.name),
      ['gamma', 'beta', 'alpha'],
      'unprocessed, newest first',
    );
    const item = res.json().items[0];
    t.match(item, {
      app: { name: 'gamma', workspace: 'demo' },
      version: {
        version: '1.0.0',
        state: 'submitted',
        updateLog: 'release notes of gamma',
        allowedActions: ['pass', 'reject'],
      },
      readme: '# gamma\n',
    });
    t.match(item.version.digest, /^[0-9a-f]{64}$/);
    t.same(
      item.events.map((e: { action: string }) => e.action),
      ['submit', 'upload'],
    );
    await f.act('reviewer', 'alpha', '1.0.0', 'pass');
    await f.act('reviewer', 'gamma', '1.0.0', 'reject', 'missing README details');
    res = await f.people.as('reviewer', 'GET', '/api/v1/reviews?status=unprocessed');
    t.same(
      res.json().items.map((i: { app: { name: string } }) => i.app.name),
      ['beta'],
    );
    res = await f.people.as('reviewer', 'GET', '/api/v1/reviews?status=processed');
    t.same(
      res
        .json()
        .items.map((i: { app: { name: string }; version: { state: string } }) => `${i.app.name}:${i.version.state}`),
      ['gamma:rejected', 'alpha:passed'],
    );
    res = await f.people.as('reviewer', 'GET', '/api/v1/reviews?status=processed&q=alph');
    t.same(
      res.json().items.map((i: { app: { name: string } }) => i.app.name),
      ['alpha'],
    );
    res = await f.people.as('reviewer', 'GET', '/api/v1/reviews?status=processed&limit=1');
    t.equal(res.json().items.length, 1);
    t.ok(res.json().nextCursor);
    res = await f.people.as(
      'reviewer',
      'GET',
      `/api/v1/reviews?status=processed&limit=1&cursor=${res.json().nextCursor}`,
    );
    t.same(
      res.json().items.map((i: { app: { name: string } }) => i.app.name),
      ['alpha'],
    );
  });

  t.test(`${engine}: icons, files, values check, deleting apps`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const schema = JSON.stringify({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['replicaCount'],
      properties: {
        replicaCount: { type: 'integer', minimum: 1 },
        image: { type: 'object', properties: { tag: { type: 'string' } }, additionalProperties: false },
      },
    });
    await f.upload('wsregular', makeChart({ name: 'web', version: '1.0.0', schema, readme: '# Web\n' }));
    await f.upload('wsregular', makeChart({ name: 'plain', version: '1.0.0' }));

    // icons
    let res = await f.people.as('wsregular', 'PUT', f.url('web', '/icon'), png(64, 64), {
      'content-type': 'image/png',
    });
    t.equal(res.statusCode, 200);
    t.equal(res.json().icon, '/api/v1/workspaces/demo/apps/web/icon');
    res = await f.people.as('viewer', 'GET', f.url('web', '/icon'));
    t.equal(res.headers['content-type'], 'image/png');
    t.same(res.rawPayload, png(64, 64));
    res = await f.people.as('viewer', 'GET', f.url('web', '/icon'), undefined, {
      'if-none-match': res.headers.etag as string,
    });
    t.equal(res.statusCode, 304, 'an unchanged icon is not sent again');
    res = await f.people.as('wsregular', 'PUT', f.url('web', '/icon'), png(128, 64), { 'content-type': 'image/png' });
    t.equal(res.statusCode, 400);
    t.match(res.json(), { code: 'icon-invalid', detail: /128×64 pixels; at most 96×96/ });
    res = await f.people.as('wsregular', 'PUT', f.url('web', '/icon'), Buffer.alloc(70 * 1024, 1), {
      'content-type': 'image/png',
    });
    t.equal(res.statusCode, 400);
    t.match(res.json().detail, /64 KiB/);
    res = await f.people.as(
      'wsregular',
      'PUT',
      f.url('web', '/icon'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><script>alert(1)</script></svg>',
      { 'content-type': 'image/svg+xml' },
    );
    t.equal(res.statusCode, 400);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><circle cx="24" cy="24" r="20"/></svg>';
    res = await f.people.as('wsregular', 'PUT', f.url('web', '/icon'), svg, { 'content-type': 'image/svg+xml' });
    t.equal(res.statusCode, 200);
    res = await f.people.as('viewer', 'GET', f.url('web', '/icon'));
    t.equal(res.headers['content-type'], 'image/svg+xml');
    t.match(res.headers['content-security-policy'], /default-src 'none'/);
    t.equal(await app.blobs.has(sha256Hex(png(64, 64))), false, 'the replaced icon blob is gone');

    // files
    res = await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0/files/README.md'));
    t.equal(res.body, '# Web\n');
    res = await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0/files/values.schema.json'));
    t.same(JSON.parse(res.body), JSON.parse(schema));
    t.match((await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0/files/Chart.yaml'))).body, /name: web/);
    t.equal((await f.people.as('viewer', 'GET', f.url('plain', '/versions/1.0.0/files/README.md'))).statusCode, 404);
    t.equal((await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0/files/secrets.yaml'))).statusCode, 404);

    // values check
    const check = (appName: string, body: string) =>
      f.people.as('viewer', 'POST', f.url(appName, '/versions/1.0.0/values/validate'), body, {
        'content-type': 'application/yaml',
      });
    res = await check('web', 'replicaCount: 3\nimage:\n  tag: "1.2"\n');
    t.same(res.json(), { valid: true, hasSchema: true, errors: [] });
    res = await check('web', 'replicaCount: 0\nimage:\n  tag: 5\n  pull: always\n');
    t.equal(res.json().valid, false);
    t.same(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
      ['image.pull', 'image.tag', 'replicaCount'],
    );
    res = await check('web', 'image: {}\n');
    t.same(res.json().errors, [{ path: 'replicaCount', message: 'is required' }]);
    res = await check('web', 'a: [1, 2\n');
    t.equal(res.statusCode, 400);
    t.match(res.json().detail, /not valid YAML/);
    res = await check('plain', 'anything: 1\n');
    t.match(res.json(), { valid: null, hasSchema: false, message: /has no values\.schema\.json/ });

    // deleting: versions first, then the empty app (and its icon blob)
    res = await f.people.as('wsregular', 'DELETE', f.url('web'));
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'app-not-empty');
    t.equal((await f.people.as('wsregular', 'DELETE', f.url('web', '/versions/1.0.0'))).statusCode, 204);
    t.equal((await f.people.as('wsregular', 'DELETE', f.url('web'))).statusCode, 204);
    t.equal((await f.people.as('wsregular', 'GET', f.url('web'))).statusCode, 404);
    const left = await countRowsAndBlobs(app);
    t.same(left, { apps: 1, versions: 1, blobs: 1 }, 'only plain and its package remain');
  });

  t.test(`${engine}: CHARTROOM_STORE_PUBLIC=false closes the store to anonymous callers`, async (t) => {
    const { app } = await testApp(t, { engine, env: { CHARTROOM_STORE_PUBLIC: 'false' } });
    for (const url of ['/store/index.yaml', '/api/v1/store/apps', '/api/v1/categories']) {
      const res = await app.inject({ url });
      t.equal(res.statusCode, 401, url);
      t.equal((await app.inject({ url, headers: { authorization: adminAuth } })).statusCode, 200, `${url} signed in`);
    }
  });
}

t.test('event lists and offset cursors page, and refuse made-up cursors', async (t) => {
  const { app } = await testApp(t);
  const f = await new StoreFixture(app).setUp();
  await f.upload('wsregular', makeChart({ name: 'busy', version: '1.0.0' }));
  for (let i = 0; i < 5; i++) await f.people.as('wsregular', 'PATCH', f.url('busy'), { description: `take ${i}` });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await f.people.as(
      'viewer',
      'GET',
      f.url('busy', `/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
    );
    t.equal(res.statusCode, 200);
    t.ok(res.json().items.length <= 2);
    seen.push(...res.json().items.map((e: { action: string; message: string }) => `${e.action}:${e.message}`));
    cursor = res.json().nextCursor;
  } while (cursor);
  t.equal(seen.length, 6);
  t.equal(seen[0], 'edit:changed description');
  t.match(seen[5], /^upload:/);
  const bogus = Buffer.from(JSON.stringify({ after: 'abc' })).toString('base64url');
  for (const url of [
    f.url('busy', `/events?cursor=${bogus}`),
    `/api/v1/store/apps?cursor=${bogus}`,
    `/api/v1/reviews?cursor=${bogus}`,
  ]) {
    const res = await f.people.as('admin', 'GET', url);
    t.equal(res.statusCode, 400, url);
    t.equal(res.json().code, 'validation-failed');
  }
  const res = await f.people.as('wsregular', 'DELETE', f.url('busy', '/versions/1.0.0'));
  t.equal(res.statusCode, 204);
});
