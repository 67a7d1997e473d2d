// Users, passwords, tokens, roles, members: behaviour beyond who-may-call-what.
import t, { type Test } from 'tap';
import { adminAuth, ADMIN_PASSWORD, basic, createWorkspace, testApp, testAppWithLog } from '../helpers/app.js';
import { People, type Persona } from '../helpers/personas.js';
import { engines } from '../helpers/env.js';
import { SignInLimiter } from '../../src/accounts/rate-limit.js';
import { CHECKS_PER_KEY } from '../../src/accounts/check-flights.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { freshDatabase, tempDir, TEST_SCRYPT_COST } from '../helpers/app.js';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import { migrate } from '../../src/db/migrate.js';

const admin = { authorization: adminAuth };

for (const engine of engines()) {
  t.test(`${engine}: users`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    let res = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: {
        username: 'isv',
        password: 'isv-password',
        role: 'platform-regular',
        displayName: 'ISV',
        email: 'isv@example.com',
      },
    });
    t.equal(res.statusCode, 201);
    t.match(res.json(), {
      username: 'isv',
      displayName: 'ISV',
      email: 'isv@example.com',
      role: 'platform-regular',
      disabled: false,
    });
    t.notOk('password' in res.json() || 'passwordHash' in res.json(), 'no password in the answer');
    const [row] = await db.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE username = 'isv'");
    t.match(
      row?.password_hash,
      new RegExp(`^scrypt\\$${app.scryptCost.N}\\$${app.scryptCost.r}\\$${app.scryptCost.p}\\$`),
      'stored as scrypt at the cost in force',
    );
    t.notMatch(row?.password_hash, /isv-password/);

    for (const [payload, msg] of [
      [{ username: 'Bad Name', password: 'long-enough', role: 'platform-regular' }, /must be a DNS label/],
      [{ username: 'short', password: 'short', role: 'platform-regular' }, /at least 8 characters/],
      [{ username: 'norole', password: 'long-enough', role: 'no-such-role' }, /role "no-such-role" does not exist/],
      [
        { username: 'extra', password: 'long-enough', role: 'platform-regular', admin: true },
        /must NOT have additional properties/,
      ],
      [{ username: 'mail', password: 'long-enough', role: 'platform-regular', email: 'not-an-email' }, /email/],
    ] as const) {
      res = await app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload });
      t.equal(res.statusCode, 400, JSON.stringify(payload));
      t.match(res.json().detail, msg);
    }
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: { username: 'isv', password: 'another-one', role: 'platform-regular' },
    });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'user-exists');

    // paging
    for (const n of ['u1', 'u2', 'u3']) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: admin,
        payload: { username: n, password: 'long-enough', role: 'platform-regular' },
      });
    }
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      res = await app.inject({ url: `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin });
      t.equal(res.statusCode, 200);
      t.ok(res.json().items.length <= 2);
      names.push(...res.json().items.map((u: { username: string }) => u.username));
      cursor = res.json().nextCursor;
    } while (cursor);
    t.same(names, ['admin', 'isv', 'u1', 'u2', 'u3']);
    t.equal((await app.inject({ url: '/api/v1/users?cursor=garbage', headers: admin })).statusCode, 400);
    t.equal((await app.inject({ url: '/api/v1/users?limit=0', headers: admin })).statusCode, 400);

    // a user reads themself, not others
    const isv = { authorization: basic('isv', 'isv-password') };
    t.equal((await app.inject({ url: '/api/v1/users/isv', headers: isv })).statusCode, 200);
    t.equal((await app.inject({ url: '/api/v1/users/u1', headers: isv })).statusCode, 403);
    res = await app.inject({ url: '/api/v1/me', headers: isv });
    t.match(res.json(), { username: 'isv', role: 'platform-regular', permissions: [], workspaces: [] });

    // admin changes password, role, disables; effects are immediate
    res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/isv',
      headers: admin,
      payload: { password: 'reset-password' },
    });
    t.equal(res.statusCode, 200);
    t.equal((await app.inject({ url: '/api/v1/me', headers: isv })).statusCode, 401, 'old password refused at once');
    const isv2 = { authorization: basic('isv', 'reset-password') };
    t.equal((await app.inject({ url: '/api/v1/me', headers: isv2 })).statusCode, 200);
    await app.inject({ method: 'PATCH', url: '/api/v1/users/isv', headers: admin, payload: { disabled: true } });
    t.equal((await app.inject({ url: '/api/v1/me', headers: isv2 })).statusCode, 401, 'disabled: refused at once');
    await app.inject({ method: 'PATCH', url: '/api/v1/users/isv', headers: admin, payload: { disabled: false } });
    t.equal((await app.inject({ url: '/api/v1/me', headers: isv2 })).statusCode, 200);
    t.equal(
      (await app.inject({ method: 'PATCH', url: '/api/v1/users/isv', headers: admin, payload: {} })).statusCode,
      400,
      'empty patch',
    );
    t.equal(
      (
        await app.inject({
          method: 'PATCH',
          url: '/api/v1/users/nobody',
          headers: admin,
          payload: { displayName: 'x' },
        })
      ).statusCode,
      404,
    );

    // the last user manager cannot be removed, disabled or demoted
    for (const [method, payload] of [
      ['DELETE', undefined],
      ['PATCH', { disabled: true }],
      ['PATCH', { role: 'platform-regular' }],
    ] as const) {
      res = await app.inject({ method, url: '/api/v1/users/admin', headers: admin, ...(payload ? { payload } : {}) });
      t.equal(res.statusCode, 409, `${method} admin ${JSON.stringify(payload)}`);
      t.match(res.json().detail, /no enabled user who can manage users/);
    }
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/u1', headers: admin })).statusCode, 204);
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/u1', headers: admin })).statusCode, 404);
  });

  t.test(`${engine}: own password`, async (t) => {
    const { app } = await testApp(t, { engine });
    let res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: admin,
      payload: { current: 'wrong-password', new: 'new-password-1' },
    });
    t.equal(res.statusCode, 403);
    t.match(res.json().detail, /current password is not correct/);
    res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: admin,
      payload: { current: ADMIN_PASSWORD, new: 'short' },
    });
    t.equal(res.statusCode, 400);
    res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/password',
      headers: admin,
      payload: { current: ADMIN_PASSWORD, new: 'new-password-1' },
    });
    t.equal(res.statusCode, 204);
    t.equal((await app.inject({ url: '/api/v1/me', headers: admin })).statusCode, 401);
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', 'new-password-1') } }))
        .statusCode,
      200,
    );
  });

  t.test(`${engine}: personal access tokens`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    let res = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: admin,
      payload: { name: 'laptop' },
    });
    t.equal(res.statusCode, 201);
    const { token, id, prefix } = res.json();
    t.match(token, /^crt_[A-Za-z0-9_-]{43}$/);
    t.equal(prefix, token.slice(0, 12));
    const stored = await db.query<{ token_hash: string }>('SELECT token_hash FROM access_tokens');
    t.equal(stored.length, 1);
    t.not(stored[0]?.token_hash, token, 'stored hashed');

    res = await app.inject({ url: '/api/v1/me/tokens', headers: admin });
    t.same(Object.keys(res.json().items[0]).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix']);
    t.equal(res.json().items[0].lastUsedAt, null);
    t.notMatch(res.body, token, 'the secret is never listed');

    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
      200,
      'Bearer',
    );
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', token) } })).statusCode,
      200,
      'Basic with the token as password',
    );
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('someone-else', token) } })).statusCode,
      401,
      "another user's name with the token",
    );
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token.slice(0, -1)}x` } })).statusCode,
      401,
    );
    res = await app.inject({ url: '/api/v1/me/tokens', headers: admin });
    t.ok(res.json().items[0].lastUsedAt, 'last use recorded');

    // expiry
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: admin,
      payload: { name: 'past', expiresAt: '2000-01-01T00:00:00Z' },
    });
    t.equal(res.statusCode, 400);
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: admin,
      payload: { name: 'soon', expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    const soon = res.json().token;
    t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${soon}` } })).statusCode, 200);
    await db.query("UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE name = 'soon'");
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${soon}` } })).statusCode,
      401,
      'expired',
    );

    // revoke
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${id}`, headers: admin })).statusCode, 204);
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
      401,
      'revoked at once',
    );
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${id}`, headers: admin })).statusCode, 404);
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/me/tokens/abc', headers: admin })).statusCode, 400);

    // a disabled user's tokens stop too; someone else's token id is not yours to revoke
    const ppl = new People(app);
    await ppl.setUp();
    res = await ppl.as('regular', 'POST', '/api/v1/me/tokens', { name: 'r' });
    const regularToken = res.json().token;
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${res.json().id}`, headers: admin })).statusCode,
      404,
    );
    await app.inject({ method: 'PATCH', url: '/api/v1/users/regular', headers: admin, payload: { disabled: true } });
    t.equal(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${regularToken}` } })).statusCode,
      401,
    );
  });

  t.test(`${engine}: roles`, async (t) => {
    const { app } = await testApp(t, { engine });
    let res = await app.inject({ url: '/api/v1/permissions', headers: admin });
    t.same(
      res.json().items.map((p: { name: string }) => p.name),
      ['users.manage', 'roles.manage', 'workspaces.manage', 'app-templates.view', 'app-templates.manage'],
    );
    res = await app.inject({ url: '/api/v1/roles', headers: admin });
    t.match(res.json().items, [
      { name: 'platform-admin', builtin: true, users: 1 },
      { name: 'platform-regular', builtin: true, users: 0 },
    ]);
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: admin,
      payload: { name: 'app-review', permissions: ['app-templates.view', 'app-templates.manage'] },
    });
    t.equal(res.statusCode, 201);
    t.same(res.json().permissions, ['app-templates.manage', 'app-templates.view']);
    res = await app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: admin,
      payload: { name: 'bad', permissions: ['everything'] },
    });
    t.equal(res.statusCode, 400);
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/roles',
          headers: admin,
          payload: { name: 'app-review', permissions: [] },
        })
      ).json().code,
      'role-exists',
    );
    await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: { username: 'rev', password: 'rev-password', role: 'app-review' },
    });
    res = await app.inject({ method: 'DELETE', url: '/api/v1/roles/app-review', headers: admin });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'role-in-use');
    res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/roles/platform-regular',
      headers: admin,
      payload: { permissions: ['users.manage'] },
    });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'role-builtin');
    t.equal(
      (await app.inject({ method: 'DELETE', url: '/api/v1/roles/platform-admin', headers: admin })).json().code,
      'role-builtin',
    );
    // a role change applies to its holders on their next request
    const rev = { authorization: basic('rev', 'rev-password') };
    t.same((await app.inject({ url: '/api/v1/me', headers: rev })).json().permissions, [
      'app-templates.manage',
      'app-templates.view',
    ]);
    await app.inject({
      method: 'PATCH',
      url: '/api/v1/roles/app-review',
      headers: admin,
      payload: { permissions: ['app-templates.view'] },
    });
    t.same((await app.inject({ url: '/api/v1/me', headers: rev })).json().permissions, ['app-templates.view']);
    await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/rev',
      headers: admin,
      payload: { role: 'platform-regular' },
    });
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/roles/app-review', headers: admin })).statusCode, 204);
  });

  t.test(`${engine}: workspaces and members page by name`, async (t) => {
    const { app } = await testApp(t, { engine });
    const ppl = new People(app);
    await ppl.setUp();
    for (const name of ['zeta', 'alpha', 'mu']) await createWorkspace(app, name);
    for (const name of ['alpha', 'zeta']) {
      const res = await ppl.as('admin', 'PUT', `/api/v1/workspaces/${name}/members/regular`, {
        role: 'workspace-viewer',
      });
      t.equal(res.statusCode, 201);
    }
    /** Every page of a list, `limit` at a time: the names on each. */
    const pages = async (who: Persona, url: string, key: 'name' | 'username') => {
      const out: string[][] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const res = await ppl.as(who, 'GET', `${url}?limit=2${query}`);
        t.equal(res.statusCode, 200, res.body);
        out.push(res.json().items.map((i: Record<string, string>) => i[key]));
        cursor = res.json().nextCursor;
      } while (cursor);
      return out;
    };
    t.same(
      await pages('admin', '/api/v1/workspaces', 'name'),
      [
        ['alpha', 'demo'],
        ['mu', 'zeta'],
      ],
      'all, to a manager',
    );
    t.same(await pages('regular', '/api/v1/workspaces', 'name'), [['alpha', 'zeta']], 'their own, to a member');
    t.same(await pages('wsadmin', '/api/v1/workspaces/demo/members', 'username'), [
      ['viewer', 'wsadmin'],
      ['wsregular'],
    ]);
    for (const url of ['/api/v1/workspaces?cursor=nope', '/api/v1/workspaces/demo/members?limit=0']) {
      const res = await ppl.as('admin', 'GET', url);
      t.equal(res.statusCode, 400, url);
      t.equal(res.json().code, 'validation-failed');
    }
  });

  t.test(`${engine}: workspaces and members`, async (t) => {
    const { app } = await testApp(t, { engine });
    const ppl = new People(app);
    await ppl.setUp();
    let res = await ppl.as('wsadmin', 'GET', '/api/v1/workspaces/demo/members');
    t.same(
      res.json().items.map((m: { username: string; role: string }) => `${m.username}:${m.role}`),
      ['viewer:workspace-viewer', 'wsadmin:workspace-admin', 'wsregular:workspace-regular'],
    );
    res = await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/regular', { role: 'workspace-regular' });
    t.equal(res.statusCode, 201);
    res = await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/regular', { role: 'workspace-admin' });
    t.equal(res.statusCode, 200, 'changing a role');
    t.equal(
      (await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/regular', { role: 'owner' })).statusCode,
      400,
    );
    t.equal(
      (await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/ghost', { role: 'workspace-viewer' }))
        .statusCode,
      404,
    );
    res = await ppl.as('regular', 'GET', '/api/v1/workspaces');
    t.same(
      res.json().items.map((w: { name: string }) => w.name),
      ['demo'],
      'a user lists the workspaces they belong to',
    );
    t.equal((await ppl.as('regular', 'GET', '/api/v1/workspaces/demo')).json().yourRole, 'workspace-admin');
    t.equal((await ppl.as('wsadmin', 'DELETE', '/api/v1/workspaces/demo/members/regular')).statusCode, 204);
    // the last workspace-admin can neither leave nor step down
    res = await ppl.as('wsadmin', 'DELETE', '/api/v1/workspaces/demo/members/wsadmin');
    t.equal(res.statusCode, 409);
    t.match(res.json().detail, /without a workspace-admin member/);
    t.equal(
      (await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/wsadmin', { role: 'workspace-regular' }))
        .statusCode,
      409,
    );
    t.equal(
      (await ppl.as('wsadmin', 'PUT', '/api/v1/workspaces/demo/members/wsadmin', { role: 'workspace-admin' }))
        .statusCode,
      200,
      'staying admin is fine',
    );
    t.same((await ppl.as('regular', 'GET', '/api/v1/workspaces')).json().items, []);
    t.equal((await ppl.as('regular', 'GET', '/api/v1/workspaces/demo')).statusCode, 404, 'gone with the membership');

    res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/workspaces/demo',
      headers: admin,
      payload: { displayName: 'Demo Workspace' },
    });
    t.equal(res.json().displayName, 'Demo Workspace');
    await app.inject({
      method: 'POST',
      url: '/api/workspaces/demo/charts',
      headers: { ...admin, 'content-type': 'application/gzip' },
      payload: (await import('../helpers/tarball.js')).makeChart(),
    });
    res = await app.inject({ method: 'DELETE', url: '/api/v1/workspaces/demo', headers: admin });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'workspace-not-empty');
    await app.db.query('DELETE FROM app_versions');
    await app.db.query('DELETE FROM apps');
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/workspaces/demo', headers: admin })).statusCode, 204);
    t.equal((await app.inject({ url: '/api/v1/workspaces/demo', headers: admin })).statusCode, 404);
  });
}

/** An app whose only limit that bites is 3 failures per user and address, over 15 minutes of `clock`. */
async function limitedApp(t: Test, clock: () => number = Date.now, env: Record<string, string> = {}) {
  const db = await freshDatabase(t, 'pglite');
  const windowMs = 15 * 60_000;
  const app = await buildApp(loadConfig({ CHARTROOM_DATA_DIR: await tempDir(t), LOG_LEVEL: 'silent', ...env }), {
    db,
    logger: false,
    scryptCost: TEST_SCRYPT_COST,
    signInLimits: {
      perUserAndAddress: { max: 3, windowMs },
      perUser: { max: 100, windowMs },
      perAddress: { max: 100, windowMs },
    },
    signInClock: clock,
  });
  t.teardown(() => app.close());
  await app.ready();
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  return { app, windowMs };
}

t.test('failed sign-ins are rate-limited, per user and address, and the limit lifts', async (t) => {
  // The window passes on a clock the test moves, so a slow machine cannot end it early.
  let now = Date.now();
  const { app, windowMs } = await limitedApp(t, () => now);
  const wrong = { authorization: basic('admin', 'guess') };
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/api/v1/me', headers: wrong })).statusCode, 401);
  let res = await app.inject({ url: '/api/v1/me', headers: wrong });
  t.equal(res.statusCode, 429);
  t.match(res.headers['retry-after'], /^\d+$/);
  t.equal(res.json().code, 'rate-limited');
  res = await app.inject({ url: '/api/v1/me', headers: admin });
  t.equal(res.statusCode, 429, 'the right password waits too, from the same address');
  res = await app.inject({ url: '/api/v1/me', headers: admin, remoteAddress: '10.9.8.7' });
  t.equal(res.statusCode, 200, 'the real user from another address is not locked out');
  now += windowMs + 1000;
  t.equal((await app.inject({ url: '/api/v1/me', headers: admin })).statusCode, 200, 'the limit lifts by itself');
});

t.test(
  'behind a proxy that appends to X-Forwarded-For, only a list of proxies keeps clients from choosing their address',
  async (t) => {
    // The proxy is 127.0.0.1 (inject's address) and appends what it saw, 203.0.113.9, to
    // whatever the client sent.
    for (const [trust, held] of [
      ['127.0.0.1', true],
      ['true', false],
    ] as const) {
      const { app } = await limitedApp(t, Date.now, { CHARTROOM_TRUST_PROXY: trust });
      const attempt = (claimed: string) =>
        app.inject({
          url: '/api/v1/me',
          headers: { authorization: basic('admin', 'guess'), 'x-forwarded-for': `${claimed}, 203.0.113.9` },
        });
      for (let i = 0; i < 3; i++) t.equal((await attempt(`10.0.0.${i}`)).statusCode, 401);
      t.equal(
        (await attempt('10.0.0.99')).statusCode,
        held ? 429 : 401,
        held
          ? 'CHARTROOM_TRUST_PROXY=127.0.0.1: the client is 203.0.113.9 whatever it claims, and is held'
          : 'CHARTROOM_TRUST_PROXY=true: each claimed address counts apart (why the list form exists)',
      );
    }
  },
);

t.test('a burst of guesses sent at once is held to the limit; parallel right sign-ins share a check', async (t) => {
  const { app } = await limitedApp(t);
  const burst = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', `guess-${i}`) } }),
    ),
  );
  const checked = burst.filter((r) => r.statusCode === 401).length;
  const refused = burst.filter((r) => r.statusCode === 429);
  t.equal(checked + refused.length, 40, 'each guess is checked (401) or refused (429)');
  t.ok(checked <= 3 + CHECKS_PER_KEY, `${checked} guesses checked: at most the limit and the checks allowed at once`);
  t.ok(
    refused.every((r) => Number(r.headers['retry-after']) >= 1),
    'the refused ones are told when to try again',
  );
  const right = await Promise.all(
    Array.from({ length: 20 }, () => app.inject({ url: '/api/v1/me', headers: admin, remoteAddress: '10.9.9.9' })),
  );
  t.same(
    [...new Set(right.map((r) => r.statusCode))],
    [200],
    'twenty parallel requests with the right password all get in',
  );
});

for (const engine of engines()) {
  t.test(`${engine}: the limiter counts per user, per address, and forgets old failures`, async (t) => {
    const db = await freshDatabase(t, engine);
    await migrate(db);
    let now = 0;
    const l = new SignInLimiter(
      db,
      {
        perUserAndAddress: { max: 2, windowMs: 100 },
        perUser: { max: 3, windowMs: 100 },
        perAddress: { max: 4, windowMs: 100 },
      },
      { clock: () => now },
    );
    await l.recordFailure('a', 'ip1');
    await l.recordFailure('a', 'ip1');
    t.ok((await l.blockedFor('a', 'ip1')) > 0);
    t.equal(await l.blockedFor('a', 'ip2'), 0);
    await l.recordFailure('a', 'ip2');
    t.ok((await l.blockedFor('a', 'ip3')) > 0, 'per-user limit across addresses');
    t.equal(await l.blockedFor('b', 'ip3'), 0);
    await l.recordFailure('c', 'ip9');
    await l.recordFailure('d', 'ip9');
    await l.recordFailure('e', 'ip9');
    await l.recordFailure('f', 'ip9');
    t.ok((await l.blockedFor('g', 'ip9')) > 0, 'per-address limit across users');
    t.equal(await l.blockedFor(null, 'ip9'), 1, 'a token from that address too; Retry-After in whole seconds');
    now = 101;
    t.equal(await l.blockedFor('a', 'ip1'), 0);
    t.equal(await l.blockedFor('g', 'ip9'), 0);
    // A sliding window: only failures inside it count, and the oldest deciding one sets the wait.
    now = 10_000;
    await l.recordFailure('h', 'ip5');
    now = 10_150;
    await l.recordFailure('h', 'ip5');
    t.equal(await l.blockedFor('h', 'ip5'), 0, 'a failure older than the window no longer counts');
    now = 10_200;
    await l.recordFailure('h', 'ip5');
    t.equal(await l.blockedFor('h', 'ip5'), 1, 'two inside the window: limited');
    now = 10_249;
    t.ok((await l.blockedFor('h', 'ip5')) > 0, 'until the older of the two leaves it…');
    now = 10_250;
    t.equal(await l.blockedFor('h', 'ip5'), 0, '…and no longer');
  });
}

t.test('passwords and tokens never reach the log', async (t) => {
  const { app, lines } = await testAppWithLog(t);
  const res = await app.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: admin, payload: { name: 'x' } });
  const token = res.json().token;
  await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
  await app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', 'a-wrong-secret-123') } });
  await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: admin,
    payload: { username: 'x', password: 'new-user-secret-9', role: 'platform-regular' },
  });
  await app.inject({
    method: 'PUT',
    url: '/api/v1/me/password',
    headers: admin,
    payload: { current: ADMIN_PASSWORD, new: 'changed-secret-77' },
  });
  const log = lines.join('');
  t.ok(log.length > 0, 'something was logged');
  t.match(log, /sign-in failed/);
  for (const secret of [
    ADMIN_PASSWORD,
    token,
    'a-wrong-secret-123',
    'new-user-secret-9',
    'changed-secret-77',
    adminAuth.slice(6),
  ]) {
    t.notOk(log.includes(secret), `the log does not hold ${secret.slice(0, 6)}…`);
  }
});
