// requires: helm, postgres, s3, corpus
// The app-store walk-through (spec section 2; KubeSphere's App Store with a Redis
// chart) with real Helm 3 and 4 against Chartroom running as a process: submission,
// review, test, release, upgrade, categories, suspension. Every step's API answer
// and index state is asserted.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminAuth, tempDir } from '../helpers/app.js';
import { corpusDir, engines, stores, type Engine, type Store } from '../helpers/env.js';
import { helmBinaries, makeHelm, searchVersions, type Helm } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';

const setups: Array<{ engine: Engine; store: Store }> = [{ engine: 'pglite', store: 'disk' }];
if (engines().includes('postgres') && stores().includes('s3')) setups.push({ engine: 'postgres', store: 's3' });

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

for (const setup of setups) {
  t.test(`${setup.engine}+${setup.store}: the app-store walk-through`, async (t) => {
    const server = await startServer(t, await serverEnv(t, setup.engine, setup.store));
    const work = await tempDir(t);
    const corpus = path.join(corpusDir(), 'charts');
    const redis11 = await fs.readFile(path.join(corpus, 'redis-17.11.6.tgz'));
    const redis14 = await fs.readFile(path.join(corpus, 'redis-17.14.6.tgz'));

    const call = async (
      auth: string | null,
      method: string,
      p: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const init: RequestInit = { method, headers: { ...(auth ? { authorization: auth } : {}), ...headers } };
      if (body instanceof FormData) init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
      const res = await fetch(`${server.url}${p}`, init);
      const text = await res.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    };
    const admin = (m: string, p: string, b?: unknown) => call(adminAuth, m, p, b);
    const isvAuth = basic('isv', 'isv-password');
    const reviewerAuth = basic('reviewer', 'reviewer-password');
    const isv = (m: string, p: string, b?: unknown) => call(isvAuth, m, p, b);
    const reviewer = (m: string, p: string, b?: unknown) => call(reviewerAuth, m, p, b);
    const storeIndex = async () => {
      const res = await fetch(`${server.url}/store/index.yaml`);
      t.equal(res.status, 200);
      const doc = yaml.load(await res.text()) as {
        entries: Record<string, Array<{ version: string; digest: string }>>;
      };
      return (doc.entries.redis ?? []).map((e) => e.version);
    };
    const app = '/api/v1/workspaces/demo-workspace/apps/redis';

    // --- accounts (issue 3's first step) --------------------------------------------
    t.equal(
      (
        await admin('POST', '/api/v1/roles', {
          name: 'app-review',
          permissions: ['app-templates.view', 'app-templates.manage'],
        })
      ).status,
      201,
    );
    t.equal(
      (await admin('POST', '/api/v1/users', { username: 'isv', password: 'isv-password', role: 'platform-regular' }))
        .status,
      201,
    );
    t.equal(
      (
        await admin('POST', '/api/v1/users', {
          username: 'reviewer',
          password: 'reviewer-password',
          role: 'app-review',
        })
      ).status,
      201,
    );
    t.equal((await admin('POST', '/api/v1/workspaces', { name: 'demo-workspace' })).status, 201);
    t.equal(
      (await admin('PUT', '/api/v1/workspaces/demo-workspace/members/isv', { role: 'workspace-admin' })).status,
      201,
    );
    t.equal(
      (await admin('PUT', '/api/v1/workspaces/demo-workspace/members/reviewer', { role: 'workspace-admin' })).status,
      201,
    );

    const helms: Helm[] = [];
    for (const { label, bin } of helmBinaries()) {
      const h = await makeHelm(t, label, bin);
      await h.run([
        'repo',
        'add',
        'drafts',
        `${server.url}/workspaces/demo-workspace`,
        '--username',
        'isv',
        '--password',
        'isv-password',
      ]);
      await h.run(['repo', 'add', 'store', `${server.url}/store`]);
      helms.push(h);
    }

    // --- 1. the ISV uploads redis 17.11.6 and edits its info ----------------------------
    let form = new FormData();
    form.append('chart', new Blob([redis11]), 'redis-17.11.6.tgz');
    form.append('updateLog', 'Initial release: Redis 7.0.11');
    let res = await call(isvAuth, 'POST', '/api/v1/workspaces/demo-workspace/apps', form);
    t.equal(res.status, 201);
    t.match(res.json, {
      app: { name: 'redis', category: null },
      version: {
        version: '17.11.6',
        state: 'draft',
        appVersion: '7.0.11',
        digest: 'f421ac018ba84f8d6647ad6aeb1f0af4e08211847a4c20caa6d502a93125933f',
      },
    });
    res = await isv('PATCH', app, {
      description: 'Redis, packaged by Bitnami',
      abstraction: 'In-memory data store',
      home: 'https://redis.io',
      category: 'uncategorized',
    });
    t.equal(res.status, 200);
    t.match(res.json, { abstraction: 'In-memory data store', category: { name: 'uncategorized' } });
    t.same(await storeIndex(), [], 'the store has nothing yet');

    // --- 2. test-install the draft from the workspace repository -------------------------
    for (const h of helms) {
      await h.run(['repo', 'update']);
      t.same(searchVersions(await h.run(['search', 'repo', 'drafts/redis', '-l']), 'drafts/redis'), ['17.11.6']);
      t.match(await h.run(['template', 'cache', 'drafts/redis', '--version', '17.11.6']), /kind: StatefulSet/);
      if (h.label === 'helm4') {
        t.match(
          await h.run(['install', 'cache', 'drafts/redis', '--version', '17.11.6', '--dry-run=client']),
          /STATUS: pending-install/,
        );
      }
    }

    // --- 3. submit; the reviewer finds it unprocessed and passes it ----------------------
    t.equal((await isv('POST', `${app}/versions/17.11.6/actions`, { action: 'submit' })).json.state, 'submitted');
    res = await reviewer('GET', '/api/v1/reviews?status=unprocessed');
    t.equal(res.json.items.length, 1);
    t.match(res.json.items[0], {
      app: { name: 'redis', workspace: 'demo-workspace' },
      version: {
        version: '17.11.6',
        state: 'submitted',
        updateLog: 'Initial release: Redis 7.0.11',
        allowedActions: ['cancel', 'pass', 'reject'],
      },
    });
    t.match(res.json.items[0].readme, /Redis/);
    res = await reviewer('POST', `${app}/versions/17.11.6/actions`, { action: 'pass', message: 'Looks good' });
    t.equal(res.json.state, 'passed');
    t.same((await reviewer('GET', '/api/v1/reviews?status=unprocessed')).json.items, []);
    t.equal((await reviewer('GET', '/api/v1/reviews?status=processed')).json.items[0].version.state, 'passed');
    t.same(await storeIndex(), [], 'passed is not yet in the store');

    // --- 4. the ISV releases it; anyone finds it in the store with Helm ------------------
    t.equal((await isv('POST', `${app}/versions/17.11.6/actions`, { action: 'release' })).json.state, 'active');
    t.same(await storeIndex(), ['17.11.6']);
    for (const h of helms) {
      await h.run(['repo', 'update']);
      t.same(
        searchVersions(await h.run(['search', 'repo', 'store/redis', '-l']), 'store/redis'),
        ['17.11.6'],
        `${h.label} finds it`,
      );
      const dir = path.join(work, `${h.label}-pull-1`);
      await fs.mkdir(dir);
      await h.run(['pull', 'store/redis', '--version', '17.11.6', '-d', dir]);
      t.same(await fs.readFile(path.join(dir, 'redis-17.11.6.tgz')), redis11, `${h.label} pulls the same bytes`);
    }

    // --- 5. the reviewer creates Database and moves the app ------------------------------
    res = await reviewer('POST', '/api/v1/categories', { name: 'Database', description: 'Databases and caches' });
    t.equal(res.status, 201);
    t.equal((await reviewer('PATCH', app, { category: 'Database' })).json.category.name, 'Database');
    res = await call(null, 'GET', '/api/v1/store/apps?category=Database');
    t.same(
      res.json.items.map((a: { name: string }) => a.name),
      ['redis'],
    );
    t.match(
      res.json.categories.find((c: { name: string }) => c.name === 'Database'),
      { storeApps: 1 },
    );

    // --- 6. a new version through review and release ------------------------------------
    form = new FormData();
    form.append('chart', new Blob([redis14]), 'redis-17.14.6.tgz');
    form.append('updateLog', 'Redis 7.0.12');
    res = await call(isvAuth, 'POST', `${app}/versions`, form);
    t.equal(res.status, 201);
    t.equal(res.json.version.state, 'draft');
    t.equal((await isv('POST', `${app}/versions/17.14.6/actions`, { action: 'submit' })).json.state, 'submitted');
    t.equal((await reviewer('POST', `${app}/versions/17.14.6/actions`, { action: 'pass' })).json.state, 'passed');
    t.equal((await isv('POST', `${app}/versions/17.14.6/actions`, { action: 'release' })).json.state, 'active');
    t.same(await storeIndex(), ['17.14.6', '17.11.6'], 'both, newest first');
    res = await call(null, 'GET', '/api/v1/store/apps/redis');
    t.same(
      res.json.versions.map((v: { version: string }) => v.version),
      ['17.14.6', '17.11.6'],
    );
    t.match(res.json, { category: { name: 'Database' }, values: /architecture: replication/ });

    // --- 7. upgrade-style use of the new version -----------------------------------------
    for (const h of helms) {
      await h.run(['repo', 'update']);
      t.same(searchVersions(await h.run(['search', 'repo', 'store/redis', '-l']), 'store/redis'), [
        '17.14.6',
        '17.11.6',
      ]);
      t.match(await h.run(['show', 'values', 'store/redis', '--version', '17.14.6']), /architecture: replication/);
      const rendered = await h.run([
        'template',
        'cache',
        'store/redis',
        '--version',
        '17.14.6',
        '--set',
        'architecture=standalone',
      ]);
      t.match(rendered, /helm.sh\/chart: redis-17\.14\.6/);
      t.notMatch(rendered, /cache-redis-replicas/, 'standalone: no replicas');
      // (`helm upgrade` itself reads the release history from a cluster; there is none here.)
    }

    // --- 8. the reviewer suspends the app, then activates it -----------------------------
    t.equal(
      (await reviewer('POST', `${app}/actions`, { action: 'suspend', message: 'security review' })).json.suspended,
      true,
    );
    t.same(await storeIndex(), []);
    for (const h of helms) {
      await h.run(['repo', 'update']);
      t.same(
        searchVersions(await h.run(['search', 'repo', 'store/', '-l']), 'store/redis'),
        [],
        `${h.label}: gone after repo update`,
      );
    }
    t.equal((await reviewer('GET', `${app}/versions/17.14.6`)).json.state, 'active', 'version states untouched');
    t.equal((await reviewer('POST', `${app}/actions`, { action: 'activate' })).json.suspended, false);
    t.same(await storeIndex(), ['17.14.6', '17.11.6']);

    // --- 9. suspend 17.14.6 alone, then activate it ---------------------------------------
    t.equal(
      (await reviewer('POST', `${app}/versions/17.14.6/actions`, { action: 'suspend', message: 'regression' })).json
        .state,
      'suspended',
    );
    t.same(await storeIndex(), ['17.11.6'], 'the store keeps 17.11.6 only');
    for (const h of helms) {
      await h.run(['repo', 'update']);
      t.same(searchVersions(await h.run(['search', 'repo', 'store/redis', '-l']), 'store/redis'), ['17.11.6']);
    }
    t.equal((await reviewer('POST', `${app}/versions/17.14.6/actions`, { action: 'activate' })).json.state, 'active');
    t.same(await storeIndex(), ['17.14.6', '17.11.6']);

    // the audit trail tells the whole story, newest first
    res = await isv('GET', `${app}/events`);
    t.same(
      res.json.items.map(
        (e: { action: string; version: string | null }) => `${e.action}${e.version ? ` ${e.version}` : ''}`,
      ),
      [
        'activate 17.14.6',
        'suspend 17.14.6',
        'activate-app',
        'suspend-app',
        'release 17.14.6',
        'pass 17.14.6',
        'submit 17.14.6',
        'upload 17.14.6',
        'edit',
        'release 17.11.6',
        'pass 17.11.6',
        'submit 17.11.6',
        'edit',
        'upload 17.11.6',
      ],
    );
  });
}
