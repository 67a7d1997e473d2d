// Statements prepared once (PGlite always, Postgres where marked `prepared`) are still
// planned for each call's values on both engines: a generic plan is chosen once, from
// the statistics of its moment, and one chosen while the tables were small went on
// scanning every version of a grown repository (src/db/database.ts).
import t from 'tap';
import { freshDatabase } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { prepared } from '../../src/db/database.js';

const LOOKUP = prepared('SELECT v FROM plans WHERE k = $1');

for (const engine of engines()) {
  t.test(`${engine}: every connection plans for the values`, async (t) => {
    const db = await freshDatabase(t, engine);
    const mode = async (q: { query: typeof db.query }) =>
      (await q.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode'))[0]?.plan_cache_mode;
    // Several at once, so a pool opens more than one connection.
    const modes = await Promise.all(Array.from({ length: 6 }, () => mode(db)));
    t.same(new Set(modes), new Set(['force_custom_plan']), 'on every pooled connection');
    t.equal(await db.tx((q) => mode(q)), 'force_custom_plan', 'and in a transaction');

    await db.exec('CREATE TABLE plans (k int PRIMARY KEY, v text)');
    await db.query('INSERT INTO plans SELECT g, $1 || g FROM generate_series(1, 50) AS g', ['v']);
    const values: unknown[] = [];
    for (let k = 1; k <= 12; k++) values.push((await db.query<{ v: string }>(LOOKUP, [k]))[0]?.v);
    t.same(
      values,
      Array.from({ length: 12 }, (_, i) => `v${i + 1}`),
      'a prepared lookup past its fifth call',
    );
    await t.rejects(db.query('INSERT INTO plans VALUES (1, $1)', ['again']), { code: '23505' });
    t.same(
      await Promise.all(Array.from({ length: 6 }, () => mode(db))),
      Array(6).fill('force_custom_plan'),
      'a failed statement keeps its connection set up',
    );
  });
}
