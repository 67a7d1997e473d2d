// After a start, the store's index and those of the most recently changed workspaces are
// loaded in the background (CHARTROOM_INDEX_WARM_REPOS of them), so the first request
// for one finds it held; 0 turns it off. Two app instances share one database, as a
// restarted process does.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { adminAuth, createWorkspace, freshDatabase, replicaApp, storeEnv, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';

for (const engine of engines()) {
  t.test(
    `${engine}: the store's and the most recently changed workspaces' indexes are loaded after a start`,
    async (t) => {
      const env = await storeEnv(t, 'disk');
      const { app: first, db } = await testApp(t, { engine, env });
      for (const ws of ['older', 'middle', 'newest']) {
        await createWorkspace(first, ws);
        const res = await first.inject({
          method: 'POST',
          url: `/api/workspaces/${ws}/charts`,
          headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
          payload: makeChart({ name: `${ws}-chart`, version: '1.0.0' }),
        });
        t.equal(res.statusCode, 201, `a chart in ${ws}`);
      }
      const ids = new Map(
        (await db.query<{ id: number; name: string }>('SELECT id, name FROM workspaces')).map((r) => [r.name, r.id]),
      );

      const start = (warm: string) => replicaApp(t, db, { ...env, CHARTROOM_INDEX_WARM_REPOS: warm });
      const holds = (app: FastifyInstance) => ({
        store: app.indexes.holds({ store: true }),
        older: app.indexes.holds({ workspaceId: ids.get('older')! }),
        middle: app.indexes.holds({ workspaceId: ids.get('middle')! }),
        newest: app.indexes.holds({ workspaceId: ids.get('newest')! }),
      });

      const app = await start('3');
      t.same(holds(app), { store: false, older: false, middle: false, newest: false }, 'nothing before listening');
      await app.listen({ port: 0, host: '127.0.0.1' });
      await app.indexesWarmed();
      t.same(
        holds(app),
        { store: true, older: false, middle: true, newest: true },
        'three: the store, then the two workspaces changed last',
      );
      let refreshes = 0;
      const observe = app.indexes.observe;
      app.indexes.observe = (...args) => {
        refreshes++;
        observe?.(...args);
      };
      const index = await app.inject({ url: '/workspaces/newest/index.yaml', headers: { authorization: adminAuth } });
      t.equal(index.statusCode, 200);
      t.match(index.body, /newest-chart/);
      t.equal(refreshes, 0, 'the first request for a loaded index loads nothing');
      await app.inject({ url: '/workspaces/older/index.yaml', headers: { authorization: adminAuth } });
      t.equal(refreshes, 1, 'one that was not loaded is loaded on its first request, as before');

      const off = await start('0');
      await off.listen({ port: 0, host: '127.0.0.1' });
      await off.indexesWarmed();
      t.same(holds(off), { store: false, older: false, middle: false, newest: false }, '0: nothing is loaded ahead');
    },
  );
}

t.test('a database that fails while indexes load does not stop the server', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  const env = await storeEnv(t, 'disk');
  const lines: string[] = [];
  const { app } = await testApp(t, { db, env, logLines: lines });
  const query = db.query.bind(db);
  db.query = async (sql: string, params?: unknown[]) => {
    if (/FROM workspaces w ORDER BY w\.revised_at/.test(sql)) throw new Error('connection lost');
    return query(sql, params);
  };
  await app.listen({ port: 0, host: '127.0.0.1' });
  await app.indexesWarmed();
  t.ok(
    lines.some((l) => l.includes('loading indexes after start failed') && l.includes('connection lost')),
    'the failure is logged',
  );
  const ready = await app.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 200, 'and the server goes on');
});
