// Reading app_versions through its one module: the review queue costs the same few
// queries however long its page, search text is never a LIKE pattern, and the two
// times a version carries (upload, release) land where each index needs them.
import t from 'tap';
import yaml from 'js-yaml';
import { testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import type { Database } from '../../src/db/database.js';

/** Counts the statements `db` runs while `fn` runs (the real database still answers them). */
async function countQueries(db: Database, fn: () => Promise<unknown>): Promise<number> {
  const query = db.query.bind(db);
  let n = 0;
  db.query = ((sql: string, params?: unknown[]) => {
    n += 1;
    return query(sql, params);
  }) as Database['query'];
  try {
    await fn();
  } finally {
    db.query = query;
  }
  return n;
}

/** Uploads chart `name` 1.0.0 and submits it for review. */
async function submit(f: StoreFixture, name: string): Promise<void> {
  const up = await f.upload('wsregular', makeChart({ name, version: '1.0.0' }));
  if (up.statusCode !== 201) throw new Error(`upload ${name}: ${up.statusCode} ${up.body}`);
  await f.people.as('wsregular', 'PATCH', f.url(name), { category: 'uncategorized' });
  const res = await f.act('wsregular', name, '1.0.0', 'submit');
  if (res.statusCode !== 200) throw new Error(`submit ${name}: ${res.statusCode} ${res.body}`);
}

for (const engine of engines()) {
  t.test(`${engine}: a review page costs the same queries however many items it holds`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const page = async (expected: number) => {
      let res = await f.people.as('reviewer', 'GET', '/api/v1/reviews');
      const n = await countQueries(db, async () => {
        res = await f.people.as('reviewer', 'GET', '/api/v1/reviews');
      });
      t.equal(res.statusCode, 200);
      t.equal(res.json().items.length, expected);
      return n;
    };
    await submit(f, 'one');
    const small = await page(1);
    for (const name of ['two', 'three', 'four', 'five', 'six']) await submit(f, name);
    const large = await page(6);
    t.equal(large, small, `six items take as many statements as one (${small})`);
  });

  t.test(`${engine}: a store page costs the same queries however many apps it holds`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const page = async (expected: number) => {
      let res = await app.inject({ url: '/api/v1/store/apps' });
      const n = await countQueries(db, async () => {
        res = await app.inject({ url: '/api/v1/store/apps' });
      });
      t.equal(res.statusCode, 200);
      t.equal(res.json().items.length, expected);
      return n;
    };
    await f.release('one', '1.0.0');
    const small = await page(1);
    for (const name of ['two', 'three', 'four']) await f.release(name, '1.0.0');
    await f.release('two', '1.1.0');
    const large = await page(4);
    t.equal(large, small, `four apps take as many statements as one (${small})`);
  });

  t.test(`${engine}: a workspace's apps page by name, each with its count and newest version`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const up = async (name: string, version: string) => {
      const res = await f.upload('wsregular', makeChart({ name, version }));
      t.equal(res.statusCode, 201, `${name} ${version}`);
    };
    // Newest by SemVer, not by upload or by text: 1.10.0 above 1.9.0 and 1.10.0-rc.1.
    for (const v of ['1.9.0', '1.10.0', '1.10.0-rc.1', '1.2.0']) await up('bravo', v);
    for (const name of ['echo', 'alpha', 'delta', 'charlie']) await up(name, '0.1.0');
    const list = (query: string) => f.people.as('viewer', 'GET', `/api/v1/workspaces/demo/apps${query}`);
    const first = await list('?limit=2');
    t.equal(first.statusCode, 200);
    t.same(
      first.json().items.map((a: { name: string }) => a.name),
      ['alpha', 'bravo'],
    );
    t.match(first.json().items[1], { versionCount: 4, latestVersion: { version: '1.10.0', state: 'draft' } });
    const second = await list(`?limit=2&cursor=${encodeURIComponent(first.json().nextCursor)}`);
    t.same(
      second.json().items.map((a: { name: string }) => a.name),
      ['charlie', 'delta'],
    );
    const last = await list(`?limit=2&cursor=${encodeURIComponent(second.json().nextCursor)}`);
    t.same(
      last.json().items.map((a: { name: string }) => a.name),
      ['echo'],
    );
    t.equal(last.json().nextCursor, null, 'the last page says so');
    const whole = await list('');
    t.equal(whole.json().items.length, 5, 'the default page holds them all here');
    t.equal(whole.json().nextCursor, null);

    // An app whose versions are all deleted stays, with none.
    t.equal((await f.people.as('wsregular', 'DELETE', f.url('echo', '/versions/0.1.0'))).statusCode, 204);
    t.match((await list('?cursor=' + encodeURIComponent(second.json().nextCursor))).json().items, [
      { name: 'echo', versionCount: 0, latestVersion: null },
    ]);
    for (const bad of ['?cursor=not-ours', '?limit=0', '?limit=201']) {
      const res = await list(bad);
      t.equal(res.statusCode, 400, bad);
      t.equal(res.json().code, 'validation-failed');
    }

    // However many apps and versions a page holds, it costs the same statements.
    const statements = async (query: string) => countQueries(db, () => list(query));
    const one = await statements('?limit=1');
    const five = await statements('?limit=5');
    t.equal(five, one, `a page of five apps (eight versions) takes as many statements as one (${one})`);
  });

  t.test(`${engine}: review items show what the caller may do as a member too`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    await submit(f, 'web');
    const actions = async () =>
      (await f.people.as('reviewer', 'GET', '/api/v1/reviews')).json().items[0].version.allowedActions;
    t.same(await actions(), ['pass', 'reject'], 'a reviewer who is no member');
    await f.people.admin('PUT', '/api/v1/workspaces/demo/members/reviewer', { role: 'workspace-regular' });
    t.same(await actions(), ['cancel', 'pass', 'reject'], 'a reviewer who is also workspace-regular may cancel');
    const item = (await f.people.as('reviewer', 'GET', '/api/v1/reviews')).json().items[0];
    t.same(
      item.events.map((e: { action: string }) => e.action),
      ['submit', 'upload'],
    );
  });

  t.test(`${engine}: search text is text, not a LIKE pattern`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    await submit(f, 'web');
    await f.release('db', '1.0.0');
    for (const q of ['%', '_', '\\']) {
      const res = await f.people.as('reviewer', 'GET', `/api/v1/reviews?q=${encodeURIComponent(q)}`);
      t.same(res.json().items, [], `reviews ?q=${q} matches nothing`);
      const store = await app.inject({ url: `/api/v1/store/apps?q=${encodeURIComponent(q)}` });
      t.same(store.json().items, [], `store ?q=${q} matches nothing`);
    }
    t.equal(
      (await f.people.as('reviewer', 'GET', '/api/v1/reviews?q=WE')).json().items.length,
      1,
      'text still matches, in any case',
    );
    t.equal((await app.inject({ url: '/api/v1/store/apps?q=D' })).json().items.length, 1);
  });

  t.test(
    `${engine}: Helm's created is the upload time in a workspace repository and the release time in the store`,
    async (t) => {
      const { app, db } = await testApp(t, { engine });
      const f = await new StoreFixture(app).setUp();
      await f.release('web', '1.0.0');
      const uploaded = '2001-01-01T00:00:00.000Z';
      const released = '2002-02-02T00:00:00.000Z';
      await db.query("UPDATE app_versions SET created_at = $1, released_at = $2 WHERE version = '1.0.0'", [
        uploaded,
        released,
      ]);

      const entry = (body: string) =>
        (yaml.load(body) as { entries: Record<string, Array<{ created: string }>> }).entries.web?.[0];
      const ws = await f.people.as('wsregular', 'GET', '/workspaces/demo/index.yaml');
      t.equal(entry(ws.body)?.created, uploaded, 'workspace index');
      const cm = await f.people.as('wsregular', 'GET', '/api/workspaces/demo/charts/web/1.0.0');
      t.equal(cm.json().created, uploaded, 'ChartMuseum API');
      const version = await f.people.as('wsregular', 'GET', f.url('web', '/versions/1.0.0'));
      t.match(version.json(), { createdAt: uploaded, releasedAt: released }, 'the version API names both');

      const store = await app.inject({ url: '/store/index.yaml' });
      t.equal(entry(store.body)?.created, released, 'store index');
      const detail = (await app.inject({ url: '/api/v1/store/apps/web' })).json();
      t.match(detail.versions[0], { created: released, releasedAt: released }, 'store API');
    },
  );
}
