// requires: postgres, helm, corpus
// Several replicas on one database sync a repository one at a time (a lease row), and a
// sync cut short by a shutdown, or by a replica that died holding the lease, is taken
// up by another replica without importing anything twice.
import t, { type Test } from 'tap';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminAuth, createWorkspace, freshPostgres, tempDir, testApp } from '../helpers/app.js';
import { corpusDir } from '../helpers/env.js';
import { helmBinaries, makeHelm } from '../helpers/helm.js';
import { openDatabase } from '../../src/db/database.js';

const IMPORT_ENV = { CHARTROOM_IMPORT_ALLOW_PRIVATE: 'true' };
const CHARTS = ['redis-17.11.6.tgz', 'memcached-6.0.22.tgz', 'argo-cd-2.2.4.tgz', 'argo-events-0.5.2.tgz'];

/** A static upstream (index by real helm) that can hold back one file until released. */
async function holdingUpstream(t: Test) {
  const dir = await tempDir(t, 'chartroom-upstream-');
  for (const f of CHARTS) await fs.copyFile(path.join(corpusDir(), 'charts', f), path.join(dir, f));
  const [h3] = helmBinaries();
  await (await makeHelm(t, h3!.label, h3!.bin)).run(['repo', 'index', dir]);
  let held: string | null = null;
  const waiting: Array<() => void> = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const file = decodeURIComponent((req.url ?? '/').slice(1));
    requests.push(file);
    const send = () => {
      fs.readFile(path.join(dir, path.basename(file))).then(
        (body) => res.writeHead(200).end(body),
        () => res.writeHead(404).end(),
      );
    };
    if (file === held) waiting.push(send);
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    requests,
    hold(file: string) {
      held = file;
    },
    release() {
      held = null;
      for (const w of waiting.splice(0)) w();
    },
  };
}

async function twoReplicas(t: Test) {
  const url = await freshPostgres(t);
  const dbA = await openDatabase({ url, pgliteDir: null });
  const dbB = await openDatabase({ url, pgliteDir: null });
  t.teardown(() => dbA.close());
  t.teardown(() => dbB.close());
  const a = await testApp(t, { db: dbA, env: IMPORT_ENV });
  const b = await testApp(t, { db: dbB, env: IMPORT_ENV });
  return { a: a.app, b: b.app, db: dbA };
}

async function events(app: import('fastify').FastifyInstance, kind: string): Promise<string[]> {
  const res = await app.inject({
    url: '/api/v1/workspaces/demo/repos/up/events?limit=200',
    headers: { authorization: adminAuth },
  });
  return (res.json().items as Array<{ kind: string; chart: string; version: string }>)
    .filter((e) => e.kind === kind)
    .map((e) => `${e.chart} ${e.version}`)
    .sort();
}

t.test('two replicas: exactly one syncs a repository', async (t) => {
  const { a, b, db } = await twoReplicas(t);
  await createWorkspace(a);
  const upstream = await holdingUpstream(t);
  upstream.hold('argo-events-0.5.2.tgz'); // keeps the first sync running while the other replica tries
  const created = await a.inject({
    method: 'POST',
    url: '/api/v1/workspaces/demo/repos',
    headers: { authorization: adminAuth },
    payload: { name: 'up', url: upstream.url },
  });
  t.equal(created.statusCode, 201);
  const [row] = await db.query<{ id: number }>("SELECT id FROM import_repos WHERE name = 'up'");
  // Whoever took it at creation holds the lease; both replicas now try to take it at once.
  await db.query('UPDATE import_repos SET next_sync_at = now()');
  const tries = await Promise.all([a.importer.syncNow(row!.id), b.importer.syncNow(row!.id), b.importer.tick()]);
  const running = [a, b].filter((x) => x.importer.isRunning(row!.id));
  t.equal(running.length, 1, 'one replica runs the sync');
  t.equal(tries.filter((x) => x === true).length <= 1, true);
  upstream.release();
  await Promise.all([a.importer.idle(), b.importer.idle()]);
  t.equal((await events(a, 'sync-started')).length, 1, 'one sync started');
  t.same(await events(a, 'imported'), ['argo-cd 2.2.4', 'argo-events 0.5.2', 'memcached 6.0.22', 'redis 17.11.6']);
});

t.test('a sync cut short by a shutdown is finished by another replica, nothing twice', async (t) => {
  const { a, b, db } = await twoReplicas(t);
  await createWorkspace(a);
  const upstream = await holdingUpstream(t);
  upstream.hold('redis-17.11.6.tgz');
  await a.inject({
    method: 'POST',
    url: '/api/v1/workspaces/demo/repos',
    headers: { authorization: adminAuth },
    payload: { name: 'up', url: upstream.url },
  });
  // Wait until the three other charts are in, and the held one is being downloaded.
  for (let i = 0; i < 200 && (await events(a, 'imported')).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal((await events(a, 'imported')).length, 3);
  await a.close(); // a graceful stop: the sync is aborted and its lease given back
  const [state] = await db.query<{ status: string; lease_owner: string | null }>(
    'SELECT status, lease_owner FROM import_repos',
  );
  t.same(state, { status: 'pending', lease_owner: null });
  upstream.release();
  await b.importer.tick();
  await b.importer.idle();
  t.same(await events(b, 'imported'), ['argo-cd 2.2.4', 'argo-events 0.5.2', 'memcached 6.0.22', 'redis 17.11.6']);
  t.equal(upstream.requests.filter((r) => r === 'memcached-6.0.22.tgz').length, 1, 'downloaded once');
});

t.test('a replica that died holding the lease: another takes over when it runs out', async (t) => {
  const { a, db } = await twoReplicas(t);
  await createWorkspace(a);
  const upstream = await holdingUpstream(t);
  await db.query(
    `INSERT INTO import_repos (workspace_id, name, url, sync_interval, status, lease_owner, lease_until)
     SELECT id, 'up', $1, 3600, 'syncing', 'dead-replica', now() + interval '1 hour' FROM workspaces`,
    [upstream.url],
  );
  await a.importer.tick();
  await a.importer.idle();
  t.same(await events(a, 'sync-started'), [], 'a live lease is respected');
  await db.query("UPDATE import_repos SET lease_until = now() - interval '1 second'");
  await a.importer.tick();
  await a.importer.idle();
  t.equal((await events(a, 'imported')).length, 4, 'taken over once the lease ran out');
});
