// Database.cached: PGlite memoises reads until the next write (it is the only writer);
// Postgres never caches (other replicas write too). Database.cachedCredentials: memoised
// on both, on Postgres until a trigger's notification or a write through this handle.
import t from 'tap';
import pg from 'pg';
import { freshDatabase, freshPostgres } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { CREDENTIALS_MEMO_TTL_MS, openDatabase, type Queryable } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'pglite: credential reads are kept across other writes, and forgotten when a credential table changes',
  async (t) => {
    const db = await freshDatabase(t, 'pglite');
    await migrate(db);
    await db.query(
      "INSERT INTO users (username, password_hash, platform_role) VALUES ('alice', 'x', 'platform-regular')",
    );
    let loads = 0;
    const read = () =>
      db.cachedCredentials('who', async () => {
        loads++;
        return roleOf(db);
      });
    await untilMemoised('memoising', 2_000, read, () => loads);
    t.equal(await read(), 'platform-regular', 'the user is read');
    let n = loads;
    await db.query("INSERT INTO workspaces (name) VALUES ('elsewhere')");
    await db.tx(async (q) => {
      await q.query("UPDATE workspaces SET display_name = 'Elsewhere' WHERE name = 'elsewhere'");
    });
    await read();
    t.equal(loads, n, 'writes to other tables keep the memo (an upload does not read its uploader again)');
    await db.query("UPDATE users SET platform_role = 'platform-admin' WHERE username = 'alice'");
    t.equal(await read(), 'platform-admin', 'a write to users is seen at once');
    await db.tx(async (q) => {
      await q.query("UPDATE users SET platform_role = 'platform-regular' WHERE username = 'alice'");
    });
    t.equal(await read(), 'platform-regular', 'and in a transaction');
    // A write the statement's text does not show: the trigger's notification is what forgets.
    await db.exec(`CREATE FUNCTION promote() RETURNS int LANGUAGE sql AS
    $$ UPDATE users SET platform_role = 'platform-admin' WHERE username = 'alice' RETURNING 1 $$`);
    await read();
    n = loads;
    await db.query('SELECT promote()');
    t.equal(await read(), 'platform-admin', 'a change made by a function is seen at once');
    t.equal(loads, n + 1, 'read once more');
  },
);

// Postgres: the credential memo of one replica (A) is forgotten by the triggers'
// notifications when another replica (B), or anyone else, changes a credential table.

async function until(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(10);
  }
}

/** Until reads stay served from the memo for a second: a late notification has come and gone. */
async function untilQuiet(read: () => Promise<unknown>, loads: () => number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    await read();
    const n = loads();
    await sleep(1_000);
    await read();
    if (loads() === n) return;
    if (Date.now() > deadline) throw new Error(`reads did not stay memoised for a second within ${ms} ms`);
  }
}

/** Until a read is served from the memo (`loads` does not move): the subscription is up. */
function untilMemoised(what: string, ms: number, read: () => Promise<unknown>, loads: () => number): Promise<void> {
  return until(what, ms, async () => {
    const n = loads();
    await read();
    return loads() === n;
  });
}

async function roleOf(q: Queryable): Promise<string | undefined> {
  const [row] = await q.query<{ platform_role: string }>('SELECT platform_role FROM users WHERE username = $1', [
    'alice',
  ]);
  return row?.platform_role;
}

t.test('postgres: callers asking at once share a read, but never one that began before they asked', async (t) => {
  if (!engines().includes('postgres')) return;
  const db = await freshDatabase(t, 'postgres');
  await db.exec('CREATE TABLE n (v int)');
  await db.query('INSERT INTO n VALUES (1)');
  const readV = async () => (await db.query<{ v: number }>('SELECT v FROM n'))[0]!.v;
  let loads = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let readFirst!: () => void;
  const firstHasRead = new Promise<void>((resolve) => (readFirst = resolve));
  const first = db.cached('k', async () => {
    loads++;
    const v = await readV();
    readFirst();
    await held; // the first read has its answer, and is still under way
    return v;
  });
  await firstHasRead;
  await db.query('UPDATE n SET v = 2');
  const load = async () => {
    loads++;
    return readV();
  };
  const later = [db.cached('k', load), db.cached('k', load), db.cached('k', load)];
  const other = db.cached('other', load);
  release();
  t.equal(await first, 1);
  t.same(await Promise.all(later), [2, 2, 2], 'callers that came after the write see it, though a read was under way');
  t.equal(await other, 2);
  t.equal(loads, 3, 'the three that came while the first ran shared one read; another key reads on its own');
  t.equal(await db.cached('k', load), 2);
  t.equal(loads, 4, 'nothing is kept once the reads end');
  const failing = db.cached('bad', async () => {
    throw new Error('no such thing');
  });
  const joined = db.cached('bad', load);
  await t.rejects(failing, /no such thing/, 'a failed read fails its own callers');
  t.equal(await joined, 2, 'a caller waiting behind a failed read gets its own answer');
});

t.test('postgres: credential reads are memoised until a notification says they changed', async (t) => {
  if (!engines().includes('postgres')) return;
  const url = await freshPostgres(t);
  const open = async () => {
    const db = await openDatabase({ url, pgliteDir: null });
    t.teardown(() => db.close());
    return db;
  };
  const a = await open();
  const b = await open();
  let loads = 0;
  const read = () =>
    a.cachedCredentials('who', async () => {
      loads++;
      return roleOf(a);
    });

  // An unmigrated database has no triggers: nothing is memoised, however often it is read.
  let early = 0;
  const readEarly = () => a.cachedCredentials('early', async () => ++early);
  await readEarly();
  await sleep(300);
  await readEarly();
  await readEarly();
  t.equal(early, 3, 'no triggers yet: every read loads');

  await migrate(b);
  await b.query("INSERT INTO users (username, password_hash, platform_role) VALUES ('alice', 'x', 'platform-regular')");
  // The listener connects on use, no sooner than its back-off (1 s after the failed check).
  await untilMemoised('memoising', 5_000, read, () => loads);
  t.equal(await read(), 'platform-regular', 'A reads the user');
  let n = loads;
  for (let i = 0; i < 5; i++) await read();
  t.equal(loads, n, 'repeated reads are served from the memo');

  await b.query("UPDATE users SET platform_role = 'platform-admin' WHERE username = 'alice'");
  // Well under the memo's time limit: the notification is what makes A read again.
  t.ok(CREDENTIALS_MEMO_TTL_MS >= 2_000);
  await until('replica A sees the change made through B', 1_000, async () => (await read()) === 'platform-admin');

  const byHand = new pg.Client({ connectionString: url });
  await byHand.connect();
  t.teardown(() => byHand.end());
  await byHand.query("UPDATE roles SET permissions = permissions WHERE name = 'platform-admin'");
  await byHand.query("UPDATE users SET platform_role = 'platform-regular' WHERE username = 'alice'");
  await until('a change made by hand is seen', 1_000, async () => (await read()) === 'platform-regular');

  await a.query("UPDATE users SET platform_role = 'platform-admin' WHERE username = 'alice'");
  t.equal(await read(), 'platform-admin', 'a change made through A itself is seen at once');

  // That write's own notification comes a moment later and forgets once more; then quiet.
  // On a slow, busy 2-core machine it came more than 400 ms later.
  await untilQuiet(read, () => loads);
  n = loads;
  await b.exec('CREATE TABLE unrelated (v int); INSERT INTO unrelated VALUES (1)');
  await sleep(200);
  await read();
  t.equal(loads, n, 'a write elsewhere in the database does not forget the memo');
  await a.query("INSERT INTO workspaces (name) VALUES ('elsewhere')");
  await read();
  t.equal(loads, n, 'nor does a write through A that names no credential table');

  // The listening connection is lost: nothing is memoised until it is back.
  const [killed] = await byHand
    .query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'chartroom-credentials-listener' AND datname = current_database()",
    )
    .then((r) => r.rows as Array<{ ok: boolean }>);
  t.ok(killed?.ok, 'the listener connection is terminated');
  await until('A notices', 2_000, async () => {
    const m = loads;
    await read();
    return loads > m;
  });
  await byHand.query("UPDATE users SET platform_role = 'platform-regular' WHERE username = 'alice'");
  t.equal(await read(), 'platform-regular', 'while no connection listens, a change elsewhere is seen at once');
  await untilMemoised('listening again', 5_000, read, () => loads);
  await b.query("UPDATE users SET platform_role = 'platform-admin' WHERE username = 'alice'");
  await until('notified again after reconnecting', 1_000, async () => (await read()) === 'platform-admin');
});
