// One replica runs at most SYNCS_AT_ONCE syncs, however they are asked for: each may hold
// a large index and a parse worker. A sync asked for beyond that stays due and starts
// when one ends (a tick that found no room once wedged the scheduler for good).
import t from 'tap';
import { Importer, SYNCS_AT_ONCE } from '../../src/plugins/importer.js';
import type { ImportRepo } from '../../src/imports/repos.js';

t.test('syncs asked for at once never exceed the limit; the rest start as room frees up', async (t) => {
  const due = new Set<number>();
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const importer = new Importer(
    (repo) =>
      new Promise<void>((resolve) => {
        started.push(repo.id);
        finish.set(repo.id, resolve);
      }),
    async (repoId) => {
      await new Promise((r) => setTimeout(r, 5)); // a claim is a database round trip
      const id = repoId ?? [...due][0];
      if (id === undefined || !due.delete(id)) return null;
      return { id } as ImportRepo;
    },
    (err) => t.fail(String(err)),
  );
  const ids = [1, 2, 3, 4, 5];
  for (const id of ids) due.add(id); // as POST .../sync leaves them (makeDue)
  const answers = await Promise.all(ids.map((id) => importer.syncNow(id)));
  t.equal(answers.filter(Boolean).length, SYNCS_AT_ONCE, `${SYNCS_AT_ONCE} start at once`);
  t.equal(started.length, SYNCS_AT_ONCE);
  t.equal(due.size, ids.length - SYNCS_AT_ONCE, 'the others stay due');
  await importer.tick();
  t.equal(started.length, SYNCS_AT_ONCE, 'a tick without room starts none');

  // Each sync that ends makes room for one more.
  for (let n = SYNCS_AT_ONCE; n < ids.length; n++) {
    finish.get(started[n - SYNCS_AT_ONCE]!)!();
    for (let waited = 0; started.length <= n && waited < 5_000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    t.equal(started.length, n + 1, `one ended: ${n + 1} started in all`);
  }
  t.same([...started].sort(), ids, 'every one ran');
  for (const f of finish.values()) f();
  await importer.idle();
});
