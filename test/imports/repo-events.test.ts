// An imported repository's events are bounded: a sync every few minutes writes two or
// more, so the sweeper keeps each repository's newest EVENTS_KEPT and drops the rest.
import t from 'tap';
import { testApp, createWorkspace } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { createRepo } from '../../src/imports/repos.js';
import { listRepoEvents, pruneRepoEvents, recordRepoEvent } from '../../src/imports/repo-events.js';

for (const engine of engines()) {
  t.test(`${engine}: each repository keeps its newest events, the others go`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    await createWorkspace(app);
    const [ws] = await db.query<{ id: number }>("SELECT id FROM workspaces WHERE name = 'demo'");
    const busy = await createRepo(db, null, ws!.id, { name: 'busy', url: 'https://charts.example.com/' });
    const quiet = await createRepo(db, null, ws!.id, { name: 'quiet', url: 'https://other.example.com/' });
    for (let i = 1; i <= 5; i++) await recordRepoEvent(db, busy.id, { kind: 'unchanged', message: `sync ${i}` });
    for (let i = 1; i <= 2; i++) await recordRepoEvent(db, quiet.id, { kind: 'unchanged', message: `sync ${i}` });
    t.equal(await pruneRepoEvents(db, 3), 2, 'two of the busy one go');
    const kept = async (id: number) => (await listRepoEvents(db, id, 100, null)).items.map((e) => e.message);
    t.same(await kept(busy.id), ['sync 5', 'sync 4', 'sync 3'], 'the newest three stay');
    t.same(await kept(quiet.id), ['sync 2', 'sync 1'], 'a repository under the limit keeps all');
    t.equal(await pruneRepoEvents(db, 3), 0, 'nothing more to do');
  });
}
