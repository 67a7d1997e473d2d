// How credentials are handled: what a token may not do, where wrong current passwords
// count, what reaches the log, the sign-in limiter under a flood, and the scrypt cost.
import t from 'tap';
import { createHash } from 'node:crypto';
import { adminAuth, ADMIN_PASSWORD, basic, freshDatabase, tempDir, testApp, testAppWithLog } from '../helpers/app.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import { DEFAULT_SCRYPT_COST, hashPassword, needsRehash, verifyPassword } from '../../src/accounts/passwords.js';
import { defaultSignInLimits, pruneSignInFailures, SignInLimiter } from '../../src/accounts/rate-limit.js';
import { migrate } from '../../src/db/migrate.js';
import { engines } from '../helpers/env.js';

const admin = { authorization: adminAuth };
const SIGN_IN_WITH_PASSWORD = /needs a sign-in with your password, not a token/;

t.test('a token cannot manage tokens or set passwords, so it cannot outlive itself', async (t) => {
  const { app, db } = await testApp(t);
  let res = await app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: admin,
    payload: { name: 'short', expiresAt: new Date(Date.now() + 6000).toISOString() },
  });
  t.equal(res.statusCode, 201);
  const { token, id } = res.json();
  const countTokens = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM access_tokens'))[0]?.n;

  for (const [scheme, headers] of [
    ['Bearer', { authorization: `Bearer ${token}` }],
    ['Basic with the token', { authorization: basic('admin', token) }],
  ] as const) {
    t.equal((await app.inject({ url: '/api/v1/me', headers })).statusCode, 200, `${scheme}: the token works`);
    t.equal((await app.inject({ url: '/api/v1/me/tokens', headers })).statusCode, 200, `${scheme}: listing is fine`);
    for (const [method, url, payload] of [
      ['POST', '/api/v1/me/tokens', { name: 'forever' }],
      ['POST', '/api/v1/me/tokens', { name: 'later', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }],
      ['DELETE', `/api/v1/me/tokens/${id}`, undefined],
      ['PUT', '/api/v1/me/password', { current: ADMIN_PASSWORD, new: 'a-new-password-1' }],
      ['PATCH', '/api/v1/users/admin', { password: 'a-new-password-2' }],
      ['POST', '/api/v1/users', { username: 'made-by-token', password: 'a-new-password-3', role: 'platform-regular' }],
    ] as const) {
      res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
      t.equal(res.statusCode, 403, `${scheme}: ${method} ${url} ${JSON.stringify(payload ?? '')}`);
      t.match(res.json().detail, SIGN_IN_WITH_PASSWORD);
    }
  }
  t.equal(await countTokens(), 1, 'no token was made from the token');
  t.equal(
    (await db.query('SELECT 1 FROM users WHERE username = $1', ['made-by-token'])).length,
    0,
    'no account (with its own password) was made from the token',
  );
  t.equal((await app.inject({ url: '/api/v1/me', headers: admin })).statusCode, 200, 'the password did not change');
  // A token's other powers are untouched: it may still change a user's name.
  res = await app.inject({
    method: 'PATCH',
    url: '/api/v1/users/admin',
    headers: { authorization: `Bearer ${token}` },
    payload: { displayName: 'Admin' },
  });
  t.equal(res.statusCode, 200);

  // Once the short-lived token expires, nothing it touched keeps working.
  await db.query("UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
  t.same(
    await db.query('SELECT id FROM access_tokens WHERE expires_at IS NULL OR expires_at > now()'),
    [],
    'no live token is left',
  );

  // With the password, all of it works.
  res = await app.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: admin, payload: { name: 'forever' } });
  t.equal(res.statusCode, 201);
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${res.json().id}`, headers: admin })).statusCode,
    204,
  );
});

t.test('wrong current passwords are failed sign-ins of the signed-in user, whatever the scheme', async (t) => {
  const { app } = await testApp(t);
  // Default limits: 10 failures per user and address. A password caller is limited...
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: admin,
      payload: { current: `guess-${i}`, new: 'new-password-1' },
    });
    statuses.push(res.statusCode);
    if (res.statusCode === 429) t.match(res.headers['retry-after'], /^\d+$/);
  }
  t.same(statuses, [...Array(10).fill(403), 429, 429], 'ten guesses, then 429');

  // ...and a token caller never gets to guess at all, so it cannot escape the limit.
  const made = await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: admin,
    remoteAddress: '10.1.1.1',
    payload: { username: 'dev', password: 'dev-password', role: 'platform-regular' },
  });
  t.equal(made.statusCode, 201, 'the admin, from another address');
  const dev = { authorization: basic('dev', 'dev-password') };
  const res = await app.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: dev, payload: { name: 'ci' } });
  const bearer = { authorization: `Bearer ${res.json().token}` };
  for (let i = 0; i < 12; i++) {
    const r = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: bearer,
      payload: { current: i === 11 ? 'dev-password' : `guess-${i}`, new: 'new-password-1' },
    });
    t.equal(r.statusCode, 403, `Bearer attempt ${i + 1}`);
    t.match(r.json().detail, SIGN_IN_WITH_PASSWORD, 'refused before the current password is looked at');
  }
  t.equal((await app.inject({ url: '/api/v1/me', headers: dev })).statusCode, 200, 'the password is unchanged');
});

// Every run of hash-like characters in the log: none may be a prefix of a digest of a secret.
function digestForms(secret: string): string[] {
  const d = createHash('sha256').update(secret).digest();
  return [d.toString('hex'), d.toString('base64'), d.toString('base64url')];
}

t.test('failed sign-ins log who failed, never the secret or a digest of it', async (t) => {
  const { app, lines } = await testAppWithLog(t);
  const wrongPassword = 'a-wrong-secret-123';
  const wrongToken = `crt_${'x'.repeat(43)}`;
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', wrongPassword) } })).statusCode,
    401,
  );
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('nobody', wrongPassword) } })).statusCode,
    401,
  );
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${wrongToken}` } })).statusCode,
    401,
  );
  const log = lines.join('');
  const failures = lines.filter((l) => l.includes('sign-in failed')).map((l) => JSON.parse(l));
  t.equal(failures.length, 3, 'each failure is logged');
  t.match(failures, [
    { user: 'admin', scheme: 'basic' },
    { user: 'nobody', scheme: 'basic' },
    { user: null, scheme: 'bearer' },
  ]);
  const runs = log.match(/[A-Za-z0-9+/_-]{6,}/g) ?? [];
  for (const secret of [wrongPassword, wrongToken, ADMIN_PASSWORD]) {
    t.notOk(log.includes(secret), `the log does not hold ${secret.slice(0, 6)}…`);
    for (const digest of digestForms(secret)) {
      const hit = runs.find((r) => digest.startsWith(r));
      t.notOk(hit, `no prefix of a digest of ${secret.slice(0, 6)}… is logged${hit ? ` (found ${hit})` : ''}`);
    }
  }
});

for (const engine of engines()) {
  t.test(`${engine}: a flood of new addresses does not lift a limit that holds; storage stays bounded`, async (t) => {
    const db = await freshDatabase(t, engine);
    await migrate(db);
    // A small cap (MAX_KEYS in production), so that the flood outgrows it several times
    // over quickly. The clock moves a millisecond per reading, as a real one moves
    // between failures.
    const maxKeys = 200;
    let now = 0;
    const l = new SignInLimiter(db, defaultSignInLimits, { clock: () => now++, maxKeys });
    const fail = (user: string, address: string) => l.recordFailure(user, address);
    const limits = defaultSignInLimits;
    for (let i = 0; i < limits.perUserAndAddress.max; i++) await fail('victim', '192.0.2.1');
    for (let i = 0; i < limits.perUser.max; i++) await fail('target', `198.51.100.${i}`);
    for (let i = 0; i < limits.perAddress.max; i++) await fail(`name-${i}`, '203.0.113.9');
    const setUp = now;
    const holding = async () => [
      await l.blockedFor('victim', '192.0.2.1'),
      await l.blockedFor('target', '192.0.2.200'),
      await l.blockedFor('anyone', '203.0.113.9'),
    ];
    t.ok(
      (await holding()).every((s) => s > 0),
      'all three limits hold',
    );
    now = 1000;
    // One failure each from far more distinct addresses (and usernames) than a tier keeps.
    for (let i = 0; i < 3 * maxKeys; i++) await fail(`flood-${i}`, `flood-${i}`);
    const [userAndAddress, user, address] = await holding();
    t.ok(userAndAddress! > 0, 'per user and address still holds');
    t.ok(user! > 0, 'per user still holds');
    t.ok(address! > 0, 'per address still holds');
    const rows = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sign_in_failures'))[0]?.n ?? -1;
    // The counting tier keeps maxKeys rows, plus what arrives between two prunes (a tenth
    // of the cap in failures, three rows at most each); the blocked tier holds 3 here.
    const bound = maxKeys + 3 * (maxKeys / 10) + 3;
    const kept = await rows();
    t.ok(kept <= bound && kept >= maxKeys, `the table stays bounded (${kept} rows, at most ${bound})`);
    now = setUp + limits.perUser.windowMs;
    t.same(await holding(), [0, 0, 0], 'the limits still lift with time');
    now += limits.perUser.windowMs;
    t.ok((await pruneSignInFailures(db, now, maxKeys)) > 0, 'a prune removes what the windows left behind');
    t.equal(await rows(), 0, 'nothing is kept once every window has passed');
  });
}

t.test('blocked keys are capped apart from counting ones, those lifting soonest going first', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  await migrate(db);
  let now = 0;
  const rule = { max: 1, windowMs: 60_000 }; // every failure blocks its keys at once
  const l = new SignInLimiter(
    db,
    { perUserAndAddress: rule, perUser: rule, perAddress: rule },
    { clock: () => now, maxKeys: 10 },
  );
  for (let i = 0; i < 12; i++) {
    now = i * 10;
    await l.recordFailure(null, `192.0.2.${i}`); // two keys each: (no user, address) and address
  }
  // The limiter prunes every tenth of its cap in failures: here after each one.
  const [rows] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sign_in_failures');
  t.equal(rows?.n, 10, 'beyond the cap of 10 blocked keys, the rest went');
  t.equal(await l.blockedFor(null, '192.0.2.11'), 60, 'the newest limits hold');
  t.ok((await l.blockedFor(null, '192.0.2.7')) > 0);
  t.equal(await l.blockedFor(null, '192.0.2.6'), 0, 'those lifting soonest went first');
});

t.test('passwords are hashed at OWASP cost, and weaker hashes are redone at sign-in', async (t) => {
  t.same(DEFAULT_SCRYPT_COST, { N: 131072, r: 8, p: 1 });
  t.ok(needsRehash('scrypt$16384$8$1$c2FsdA==$aGFzaA==') && !needsRehash('scrypt$131072$8$1$c2FsdA==$aGFzaA=='));
  t.ok(needsRehash('not-a-hash'));
  // An app as production builds it: no cost given.
  const db = await freshDatabase(t, 'pglite');
  const app = await buildApp(loadConfig({ CHARTROOM_DATA_DIR: await tempDir(t), LOG_LEVEL: 'silent' }), {
    db,
    logger: false,
  });
  t.teardown(() => app.close());
  await app.ready();
  await ensureAdmin(db, ADMIN_PASSWORD);
  const stored = async (user: string) =>
    (await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', [user]))[0]
      ?.password_hash ?? '';
  t.match(await stored('admin'), /^scrypt\$131072\$8\$1\$/, 'a new hash has N=2^17');

  await db.query("INSERT INTO users (username, password_hash, platform_role) VALUES ('old', $1, 'platform-regular')", [
    await hashPassword('old-password', { N: 16384, r: 8, p: 1 }),
  ]);
  const oldUser = { authorization: basic('old', 'old-password') };
  t.equal((await app.inject({ url: '/api/v1/me', headers: oldUser })).statusCode, 200, 'an old hash still signs in');
  const rehashed = await stored('old');
  t.match(rehashed, /^scrypt\$131072\$8\$1\$/, 'and is replaced by one with N=2^17');
  t.ok(await verifyPassword('old-password', rehashed), 'which verifies');
  t.notOk(await verifyPassword('wrong-password', rehashed));
  t.equal((await app.inject({ url: '/api/v1/me', headers: oldUser })).statusCode, 200, 'and signs in');
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('old', 'wrong-password') } })).statusCode,
    401,
  );
  t.equal(await stored('old'), rehashed, 'a failed sign-in changes nothing');
});
