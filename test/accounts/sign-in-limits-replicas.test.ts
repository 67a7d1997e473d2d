// requires: postgres
// Sign-in limits hold for the whole deployment: two app instances (replicas) on one
// Postgres database share their failure counts, so N replicas allow `max` guesses, not
// N × `max`; a limited attempt is refused on every replica, the right password too; the
// limits lift by themselves after the window; one user's limit does not hold back another.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, adminAuth, basic, freshPostgres, tempDir, TEST_SCRYPT_COST } from '../helpers/app.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import type { SignInLimits } from '../../src/accounts/rate-limit.js';

// A long window on a clock the test moves: counting is never cut short by a slow
// machine (on one, four scrypt checks took longer than a 2 s window), and the window
// passes without a sleep.
const WINDOW_MS = 15 * 60_000;
let now = Date.now();
const clock = () => now;
const limits: SignInLimits = {
  perUserAndAddress: { max: 4, windowMs: WINDOW_MS },
  perUser: { max: 6, windowMs: WINDOW_MS },
  perAddress: { max: 8, windowMs: WINDOW_MS },
};

type Teardown = Parameters<typeof tempDir>[0];

/** One replica: its own app, pool and data directory, on the shared database. */
async function replica(t: Teardown, url: string): Promise<FastifyInstance> {
  const db = await openDatabase({ url, pgliteDir: null });
  t.teardown(() => db.close());
  const config = loadConfig({ CHARTROOM_DATA_DIR: await tempDir(t), LOG_LEVEL: 'silent' });
  const app = await buildApp(config, {
    db,
    logger: false,
    scryptCost: TEST_SCRYPT_COST,
    signInLimits: limits,
    signInClock: clock,
  });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

t.test('two replicas on one database share the sign-in limits', async (t) => {
  const url = await freshPostgres(t);
  // One after the other: the first applies the migrations.
  const a = await replica(t, url);
  const b = await replica(t, url);
  const db = await openDatabase({ url, pgliteDir: null });
  t.teardown(() => db.close());
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  for (const username of ['alice', 'bob']) {
    const res = await a.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: adminAuth },
      payload: { username, password: `${username}-password`, role: 'platform-regular' },
    });
    t.equal(res.statusCode, 201, `${username} is created`);
  }
  const me = (app: FastifyInstance, authorization: string, remoteAddress: string) =>
    app.inject({ url: '/api/v1/me', headers: { authorization }, remoteAddress });
  const alice = basic('alice', 'alice-password');
  const bob = basic('bob', 'bob-password');
  const refused = (res: Awaited<ReturnType<typeof me>>, what: string) => {
    t.equal(res.statusCode, 429, `${what}: 429`);
    const wait = Number(res.headers['retry-after']);
    t.ok(wait >= 1 && wait <= WINDOW_MS / 1000, `${what}: Retry-After ${wait} s, within the window`);
    t.equal(res.json().code, 'rate-limited');
  };

  // Per user and address (max 4): two guesses on each replica, at the same time.
  const wrong = basic('admin', 'guess');
  const guesses = await Promise.all([
    me(a, wrong, '10.0.0.1'),
    me(b, wrong, '10.0.0.1'),
    me(a, wrong, '10.0.0.1'),
    me(b, wrong, '10.0.0.1'),
  ]);
  t.same(
    guesses.map((r) => r.statusCode),
    [401, 401, 401, 401],
    'four guesses spread over both replicas are each refused with 401',
  );
  refused(await me(a, wrong, '10.0.0.1'), 'the fifth guess on replica A');
  refused(await me(b, wrong, '10.0.0.1'), 'the fifth guess on replica B');
  refused(await me(b, adminAuth, '10.0.0.1'), 'the right password from that address, on B');
  refused(await me(a, adminAuth, '10.0.0.1'), 'the right password from that address, on A');
  t.equal((await me(b, adminAuth, '10.0.0.2')).statusCode, 200, 'the real admin from another address gets in');
  t.equal((await me(a, alice, '10.0.0.1')).statusCode, 200, 'another user from that address gets in');

  // Per user (max 6): guesses at bob from six addresses, alternating replicas.
  for (let i = 1; i <= 6; i++) {
    const app = i % 2 ? a : b;
    t.equal((await me(app, basic('bob', `guess-${i}`), `10.1.0.${i}`)).statusCode, 401, `guess ${i} at bob`);
  }
  refused(await me(a, bob, '10.1.0.7'), 'bob from a new address, on A');
  refused(await me(b, bob, '10.1.0.7'), 'bob from a new address, on B');
  t.equal((await me(b, alice, '10.1.0.7')).statusCode, 200, "bob's limit does not hold back alice");

  // Per address (max 8): eight usernames (unknown ones too) guessed from one address.
  for (let i = 1; i <= 8; i++) {
    const app = i % 2 ? b : a;
    const name = i <= 4 ? `nobody-${i}` : (['admin', 'alice', 'carol', 'dave'][i - 5] as string);
    t.equal((await me(app, basic(name, `guess-${i}`), '10.2.0.1')).statusCode, 401, `guess ${i} from 10.2.0.1`);
  }
  refused(await me(a, alice, '10.2.0.1'), 'alice from that address, on A');
  refused(await me(b, `Bearer crt_${'x'.repeat(43)}`, '10.2.0.1'), 'a token from that address, on B');
  t.equal((await me(a, alice, '10.2.0.2')).statusCode, 200, 'alice from another address gets in');

  // Every limit lifts once its window has passed, on both replicas, with no restart.
  now += WINDOW_MS + 1000;
  t.equal((await me(a, adminAuth, '10.0.0.1')).statusCode, 200, 'admin from 10.0.0.1, on A, after the window');
  t.equal((await me(b, adminAuth, '10.0.0.1')).statusCode, 200, 'and on B');
  t.equal((await me(b, bob, '10.1.0.7')).statusCode, 200, 'bob, after the window');
  t.equal((await me(a, alice, '10.2.0.1')).statusCode, 200, 'alice from 10.2.0.1, after the window');
  const [rows] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sign_in_failures');
  t.ok((rows?.n ?? 0) > 0, 'the failures are kept in the shared database');
});

t.test('a wrong current password on one replica counts on the other', async (t) => {
  const url = await freshPostgres(t);
  const a = await replica(t, url);
  const b = await replica(t, url);
  const db = await openDatabase({ url, pgliteDir: null });
  t.teardown(() => db.close());
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  const change = (app: FastifyInstance, current: string) =>
    app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: { authorization: adminAuth },
      payload: { current, new: 'a-new-password-1' },
      remoteAddress: '10.3.0.1',
    });
  for (let i = 1; i <= 4; i++) {
    t.equal((await change(i % 2 ? a : b, `wrong-${i}`)).statusCode, 403, `wrong current password ${i}`);
  }
  const res = await change(a, ADMIN_PASSWORD);
  t.equal(res.statusCode, 429, 'the fifth check is refused, the right one too');
  const wait = Number(res.headers['retry-after']);
  t.ok(wait >= 1 && wait <= WINDOW_MS / 1000, `Retry-After ${wait} s, within the window`);
  t.equal(
    (await b.inject({ url: '/api/v1/me', headers: { authorization: adminAuth }, remoteAddress: '10.3.0.1' }))
      .statusCode,
    429,
    'and so is signing in from that address on the other replica',
  );
});
