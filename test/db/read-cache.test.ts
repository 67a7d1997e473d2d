// Database.cached: PGlite memoises reads until the next write (it is the only writer);
// Postgres never caches (other replicas write too).
import t from 'tap';
import { freshDatabase } from '../helpers/app.js';
import { engines } from '../helpers/env.js';

for (const engine of engines()) {
  t.test(`${engine}: cached reads and writes`, async (t) => {
    const db = await freshDatabase(t, engine);
    await db.exec('CREATE TABLE n (v int)');
    await db.query('INSERT INTO n VALUES (1)');
    let loads = 0;
    const read = () =>
      db.cached('n', async () => {
        loads++;
        return (await db.query<{ v: number }>('SELECT v FROM n'))[0]?.v;
      });
    t.equal(await read(), 1);
    t.equal(await read(), 1);
    t.equal(
      loads,
      engine === 'pglite' ? 1 : 2,
      engine === 'pglite' ? 'served from memory until a write' : 'always loaded',
    );
    await db.query('UPDATE n SET v = 2');
    t.equal(await read(), 2, 'a plain write invalidates');
    await db.tx(async (q) => {
      await q.query('UPDATE n SET v = 3');
    });
    t.equal(await read(), 3, 'a transaction invalidates');
    await db
      .tx(async (q) => {
        await q.query('UPDATE n SET v = 4');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    t.equal(await read(), 3, 'a rolled-back transaction leaves the committed value');
    // a write while a read is loading makes that read's result stale at once
    const slow = db.cached('slow', async () => {
      const v = (await db.query<{ v: number }>('SELECT v FROM n'))[0]?.v;
      await db.query('UPDATE n SET v = 5');
      return v;
    });
    t.equal(await slow, 3);
    t.equal(await db.cached('slow', async () => (await db.query<{ v: number }>('SELECT v FROM n'))[0]?.v), 5);
  });
}

t.test('pglite: the read memo is bounded, and a full memo drops its least recently read entry', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  let hotLoads = 0;
  const hot = () => db.cached('hot', async () => ++hotLoads);
  await hot();
  // 10,000 entries is the bound; keep reading "hot" while filling it past that.
  for (let i = 0; i < 10_500; i++) {
    await db.cached(`cold:${i}`, async () => i);
    if (i % 1000 === 0) await hot();
  }
  await hot();
  t.equal(hotLoads, 1, 'an entry read often stays when the memo overflows');
  let coldLoads = 0;
  await db.cached('cold:0', async () => ++coldLoads);
  t.equal(coldLoads, 1, 'the oldest unread entry was dropped');
});
