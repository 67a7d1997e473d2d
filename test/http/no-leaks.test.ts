// Nothing of a workspace is visible to a signed-in non-member without
// app-templates.view: not its index, files, API objects, list items or counts, and
// not through error messages (a private workspace answers like a missing one).
import t from 'tap';
import { testApp } from '../helpers/app.js';
import { People } from '../helpers/personas.js';
import { makeChart } from '../helpers/tarball.js';

t.test('a non-member learns nothing about a private workspace', async (t) => {
  const { app } = await testApp(t);
  const ppl = new People(app);
  await ppl.setUp('secret-ws');
  const upload = await ppl.as(
    'wsregular',
    'POST',
    '/api/workspaces/secret-ws/charts',
    makeChart({ name: 'hidden-app', version: '1.0.0' }),
    { 'content-type': 'application/gzip' },
  );
  t.equal(upload.statusCode, 201);

  // The same requests against the private workspace and a workspace that does not
  // exist must answer identically once the name is swapped.
  const probes: Array<[string, string, unknown?]> = [
    ['GET', '/workspaces/WS/index.yaml'],
    ['HEAD', '/workspaces/WS/index.yaml'],
    ['GET', '/workspaces/WS/charts/hidden-app-1.0.0.tgz'],
    ['GET', '/workspaces/WS/charts/hidden-app-1.0.0.tgz.prov'],
    ['GET', '/api/workspaces/WS/charts'],
    ['GET', '/api/workspaces/WS/charts/hidden-app'],
    ['GET', '/api/workspaces/WS/charts/hidden-app/1.0.0'],
    ['GET', '/api/workspaces/WS/charts/hidden-app/latest'],
    ['DELETE', '/api/workspaces/WS/charts/hidden-app/1.0.0'],
    ['POST', '/api/workspaces/WS/charts'],
    ['GET', '/api/v1/workspaces/WS'],
    ['PATCH', '/api/v1/workspaces/WS', { displayName: 'x' }],
    ['DELETE', '/api/v1/workspaces/WS'],
    ['GET', '/api/v1/workspaces/WS/members'],
    ['PUT', '/api/v1/workspaces/WS/members/regular', { role: 'workspace-admin' }],
    ['DELETE', '/api/v1/workspaces/WS/members/viewer'],
  ];
  for (const [method, path, body] of probes) {
    const hidden = await ppl.as('regular', method, path.replace('WS', 'secret-ws'), body);
    const missing = await ppl.as('regular', method, path.replace('WS', 'no-such-ws'), body);
    t.equal(hidden.statusCode, 404, `${method} ${path}: 404`);
    t.equal(hidden.statusCode, missing.statusCode, `${method} ${path}: same status as a missing workspace`);
    t.equal(
      hidden.body.replaceAll('secret-ws', 'X'),
      missing.body.replaceAll('no-such-ws', 'X'),
      `${method} ${path}: same body`,
    );
    // `instance` echoes the caller's own URL; everything else must not name the app.
    const { instance: _echo, ...rest } = hidden.body ? (JSON.parse(hidden.body) as Record<string, unknown>) : {};
    t.notMatch(JSON.stringify(rest), /hidden-app/, `${method} ${path}: the app name does not leak`);
  }

  // put the draft in a category and through review: still nothing in any count or listing
  await ppl.as('wsregular', 'PATCH', '/api/v1/workspaces/secret-ws/apps/hidden-app', { category: 'uncategorized' });
  await ppl.as('wsregular', 'POST', '/api/v1/workspaces/secret-ws/apps/hidden-app/versions/1.0.0/actions', {
    action: 'submit',
  });
  const cats = await ppl.as('regular', 'GET', '/api/v1/categories');
  t.same(
    cats.json().items.map((c: { storeApps: number }) => c.storeApps),
    [0],
    'category counts hold store apps only',
  );
  const store = await ppl.as('regular', 'GET', '/api/v1/store/apps?q=hidden');
  t.same([store.json().items, store.json().total], [[], 0]);
  t.notMatch((await ppl.as('regular', 'GET', '/store/index.yaml')).body, /hidden-app/);
  t.equal((await ppl.as('regular', 'GET', '/api/v1/store/apps/hidden-app')).statusCode, 404);
  t.equal(
    (await ppl.as('regular', 'GET', '/api/v1/reviews')).statusCode,
    403,
    'the review queue is for app-templates.view',
  );
  for (const path of [
    '/api/v1/workspaces/secret-ws/apps',
    '/api/v1/workspaces/secret-ws/apps/hidden-app',
    '/api/v1/workspaces/secret-ws/apps/hidden-app/events',
    '/api/v1/workspaces/secret-ws/apps/hidden-app/versions/1.0.0/files/Chart.yaml',
  ]) {
    const hidden = await ppl.as('regular', 'GET', path);
    const missing = await ppl.as('regular', 'GET', path.replace('secret-ws', 'no-such-ws'));
    t.equal(hidden.statusCode, 404, path);
    t.equal(
      hidden.json().detail.replace('secret-ws', 'X'),
      missing.json().detail.replace('no-such-ws', 'X'),
      `${path}: same answer as a missing workspace`,
    );
  }

  const list = await ppl.as('regular', 'GET', '/api/v1/workspaces');
  t.same(list.json().items, [], 'not listed');
  const me = await ppl.as('regular', 'GET', '/api/v1/me');
  t.same(me.json().workspaces, [], 'no membership shown');

  // the reviewer (app-templates.view) and members do see it
  t.equal((await ppl.as('reviewer', 'GET', '/workspaces/secret-ws/index.yaml')).statusCode, 200);
  t.match((await ppl.as('viewer', 'GET', '/workspaces/secret-ws/index.yaml')).body, /hidden-app/);
  t.same(
    (await ppl.as('reviewer', 'GET', '/api/v1/workspaces')).json().items.map((w: { name: string }) => w.name),
    ['secret-ws'],
  );
});

t.test('what a signed-in caller is answered is never for a shared cache', async (t) => {
  const { app } = await testApp(t);
  const ppl = new People(app);
  await ppl.setUp('private-ws');
  const upload = await ppl.as(
    'wsregular',
    'POST',
    '/api/workspaces/private-ws/charts',
    makeChart({ name: 'draft-app', version: '1.0.0', readme: '# draft\n' }),
    { 'content-type': 'application/gzip' },
  );
  t.equal(upload.statusCode, 201);
  for (const url of [
    '/api/v1/me',
    '/api/v1/workspaces/private-ws/apps',
    '/api/v1/workspaces/private-ws/apps/draft-app/versions/1.0.0/files/README.md',
    '/api/workspaces/private-ws/charts',
  ]) {
    const res = await ppl.as('wsregular', 'GET', url);
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['cache-control'], 'private, no-store', url);
  }
  const index = await ppl.as('wsregular', 'GET', '/workspaces/private-ws/index.yaml');
  t.equal(
    index.headers['cache-control'],
    'private, no-cache',
    'the index keeps its own rule (revalidated, not unstored)',
  );
  const store = await app.inject({ url: '/api/v1/categories' });
  t.notOk(store.headers['cache-control'], 'an anonymous public answer is not marked');
});
