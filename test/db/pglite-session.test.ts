// The embedded engine's session (src/db/pglite-session.ts): statements prepared once and
// run as one message each must give exactly what PGlite's own query() gives, hold the
// session through a transaction, and stay correct when the schema changes under them.
import t from 'tap';
import { PGlite } from '@electric-sql/pglite';
import { PgliteSession } from '../../src/db/pglite-session.js';
import { openDatabase } from '../../src/db/database.js';
import type { Teardown } from '../helpers/app.js';

async function session(t: Teardown): Promise<PgliteSession> {
  const db = await PGlite.create();
  t.teardown(() => db.close());
  const s = new PgliteSession(db);
  await s.exec(`CREATE TABLE kinds (
    id serial PRIMARY KEY, i int, b bigint, txt text, flag boolean, doc jsonb, at timestamptz,
    raw bytea, tags text[], nums int[], UNIQUE (txt))`);
  return s;
}

t.test('rows, types and parameters are what PGlite query() gives', async (t) => {
  const s = await session(t);
  const at = new Date('2026-01-02T03:04:05.678Z');
  const rows: unknown[][] = [
    [1, 2, 'plain', true, { a: [1, 'two', null] }, at, new Uint8Array([0, 1, 254, 255]), ['x', 'y "q"', 'z,w'], [3, 4]],
    [null, null, 'nulls', null, null, null, null, null, null],
    [-7, 9_007_199_254, 'ünïcødé \u2603', false, [], at, new Uint8Array(0), [], []],
  ];
  const insert = `INSERT INTO kinds (i, b, txt, flag, doc, at, raw, tags, nums)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`;
  for (const values of rows) {
    const [row] = await s.query<{ id: number }>(insert, values);
    t.type(row?.id, 'number', 'RETURNING gives the new id');
  }
  const select = 'SELECT * FROM kinds WHERE txt = ANY($1::text[]) ORDER BY id';
  const wanted = ['plain', 'nulls', 'ünïcødé \u2603'];
  const mine = await s.query(select, [wanted]);
  const theirs = (await s.db.query(select, [wanted])).rows;
  t.equal(mine.length, 3);
  t.same(mine, theirs, 'the same rows, parsed the same way');
  t.strictSame(mine[0], theirs[0], 'with the same JS types');
  t.same((mine[0] as { tags: string[] }).tags, ['x', 'y "q"', 'z,w'], 'arrays survive quoting');
  t.same(await s.query('SELECT count(*)::int AS n FROM kinds WHERE i IS NULL'), [{ n: 1 }]);
  t.same(await s.query('UPDATE kinds SET i = i + 1 WHERE i > $1', [0]), [], 'a statement without rows gives none');
  t.same(await s.query('SELECT $1::int + $2::int AS sum', ['40', 2]), [{ sum: 42 }], 'text and numbers for int');
});

t.test('each SQL text is prepared once, and the number kept is bounded', async (t) => {
  const s = await session(t);
  const before = s.prepared;
  for (let i = 0; i < 20; i++) await s.query('SELECT $1::int AS v', [i]);
  t.equal(s.prepared, before + 1, 'twenty calls of one text prepare one statement');
  const values: unknown[] = [];
  for (let i = 0; i < 600; i++) values.push(...(await s.query(`SELECT ${i} AS v`)));
  t.same(
    values,
    Array.from({ length: 600 }, (_, v) => ({ v })),
    '600 distinct texts run',
  );
  t.ok(s.prepared <= 500, `at most 500 statements are kept (${s.prepared})`);
  t.same(await s.query('SELECT 0 AS v'), [{ v: 0 }], 'a statement closed to make room is prepared again');
  const [{ n } = { n: -1 }] = await s.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements');
  // The statement that counts is prepared by that very call, and the one it evicts is
  // closed by the next message that prepares: one more than the session keeps, at most.
  t.ok(n <= 501 && n >= s.prepared, `the backend holds what the session keeps (${n})`);
});

t.test('errors name the problem and leave the session usable', async (t) => {
  const s = await session(t);
  await t.rejects(s.query('SELEC 1'), { code: '42601' }, 'a syntax error');
  await s.query(`INSERT INTO kinds (txt) VALUES ('taken')`);
  await t.rejects(s.query(`INSERT INTO kinds (txt) VALUES ($1)`, ['taken']), { code: '23505' }, 'a unique violation');
  await t.rejects(s.query('SELECT $1::int AS v', ['not a number']), { code: '22P02' }, 'a bad parameter');
  t.same(await s.query('SELECT $1::int AS v', [5]), [{ v: 5 }], 'the statement whose bind failed runs again');
  t.same(await s.query('SELECT count(*)::int AS n FROM kinds'), [{ n: 1 }]);
});

t.test('a transaction holds the session, commits, and rolls back', async (t) => {
  const s = await session(t);
  const count = async () => (await s.query<{ n: number }>('SELECT count(*)::int AS n FROM kinds'))[0]?.n;
  let seenInside = -1;
  const outside: Promise<number | undefined>[] = [];
  await s.transaction(async (q) => {
    await q.query(`INSERT INTO kinds (txt) VALUES ('a')`);
    outside.push(count()); // waits for the transaction, so it never sees half of it
    await new Promise((resolve) => setTimeout(resolve, 20));
    await q.query(`INSERT INTO kinds (txt) VALUES ('b')`);
    seenInside = (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM kinds'))[0]?.n ?? -1;
  });
  t.equal(seenInside, 2, 'the transaction sees its own rows');
  t.equal(await outside[0], 2, 'a statement from outside ran after the commit');

  await t.rejects(
    s.transaction(async (q) => {
      await q.query(`INSERT INTO kinds (txt) VALUES ('c')`);
      await q.query(`INSERT INTO kinds (txt) VALUES ('a')`);
    }),
    { code: '23505' },
  );
  t.equal(await count(), 2, 'a failed statement rolls the whole transaction back');

  await t.rejects(
    s.transaction(async (q) => {
      await q.query(`INSERT INTO kinds (txt) VALUES ('d')`);
      await q.query(`INSERT INTO kinds (txt) VALUES ('a')`).catch(() => undefined);
    }),
    /aborted by an error and rolled back/,
  );
  t.equal(await count(), 2, 'an error caught inside does not let the commit pretend');

  let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
  await s.transaction(async (q) => {
    leaked = q;
  });
  t.throws(() => leaked?.query('SELECT 1'), /the transaction has ended/, 'a transaction handle kept past its end');
});

t.test('a schema change is seen by statements prepared before it', async (t) => {
  const s = await session(t);
  await s.query(`INSERT INTO kinds (txt) VALUES ('x')`);
  t.same(Object.keys((await s.query('SELECT * FROM kinds'))[0] ?? {}).length, 10);
  await s.exec('ALTER TABLE kinds ADD COLUMN extra text DEFAULT $$new$$');
  const [row] = await s.query<{ extra: string }>('SELECT * FROM kinds');
  t.equal(row?.extra, 'new', 'the new column is there');
  // Changed behind the session's back (another handle on the same backend would do this).
  await s.db.exec('ALTER TABLE kinds DROP COLUMN extra');
  await t.rejects(s.query('SELECT * FROM kinds'), { code: '0A000' }, 'Postgres refuses the stale plan once');
  const [again] = await s.query<Record<string, unknown>>('SELECT * FROM kinds');
  t.notOk(again && 'extra' in again, 'and the next call prepares it again');
});

t.test('the embedded database returns bytea as Buffer through the session', async (t) => {
  const db = await openDatabase({ url: null, pgliteDir: null });
  t.teardown(() => db.close());
  await db.exec('CREATE TABLE blobs (b bytea)');
  await db.query('INSERT INTO blobs VALUES ($1)', [Buffer.from('hello')]);
  const [row] = await db.query<{ b: Buffer }>('SELECT b FROM blobs');
  t.ok(Buffer.isBuffer(row?.b), 'a Buffer');
  t.equal(row?.b.toString(), 'hello');
});
