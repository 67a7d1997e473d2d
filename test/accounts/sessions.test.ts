// Web console sessions (SPEC section 13): the cookie, server-side ends (sign-out,
// disabling, password changes, idle and maximum age), CSRF checks on writes, the sign-in
// limits shared with Basic, and the console's page and assets with their headers.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { adminAuth, ADMIN_PASSWORD, basic, tempDir, testApp } from '../helpers/app.js';
import { CONSOLE_CSP } from '../../src/plugins/console.js';

const ORIGIN = 'http://localhost:80';
const json = { 'content-type': 'application/json' };

async function signIn(app: FastifyInstance, username: string, password: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { ...json, host: 'localhost:80', ...headers },
    payload: { username, password },
  });
}

/** The session cookie's value from a Set-Cookie header. */
function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = String(res.headers['set-cookie']);
  const m = /^chartroom_session=([^;]*);/.exec(header);
  if (!m) throw new Error(`no session cookie in ${header}`);
  return m[1] as string;
}

async function createUser(app: FastifyInstance, username: string, password: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: { authorization: adminAuth },
    payload: { username, password, role: 'platform-regular' },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
}

t.test('signing in sets an HttpOnly, SameSite cookie that stands for the user', async (t) => {
  const { app, db } = await testApp(t);
  const res = await signIn(app, 'admin', ADMIN_PASSWORD);
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().username, 'admin');
  t.ok(Date.parse(res.json().expiresAt) > Date.now() + 11 * 3600_000, 'ends after the maximum age (12 h by default)');
  const header = String(res.headers['set-cookie']);
  t.match(header, /; Path=\//);
  t.match(header, /; HttpOnly/);
  t.match(header, /; SameSite=Lax/);
  t.match(header, /; Max-Age=43200/);
  t.notMatch(header, /Secure/, 'no Secure flag over plain http');
  t.equal(res.headers['cache-control'], 'no-store');
  const secret = cookieOf(res);
  t.match(secret, /^[A-Za-z0-9_-]{43}$/);

  const me = await app.inject({ url: '/api/v1/me', headers: { cookie: `other=1; chartroom_session=${secret}` } });
  t.equal(me.statusCode, 200);
  t.equal(me.json().username, 'admin');

  // The table holds a digest of the secret, never the secret.
  const rows = await db.query<{ id_hash: string }>('SELECT id_hash FROM sessions');
  t.same(
    rows.map((r) => r.id_hash),
    [createHash('sha256').update(secret).digest('hex')],
  );

  // A made-up or malformed cookie is no session: anonymous, so protected routes say 401.
  for (const cookie of ['chartroom_session=' + 'A'.repeat(43), 'chartroom_session=x', 'chartroom_session=']) {
    t.equal((await app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode, 401, cookie);
  }
  // The store stays readable to anyone, with or without a cookie.
  t.equal(
    (await app.inject({ url: '/api/v1/store/apps', headers: { cookie: 'chartroom_session=x' } })).statusCode,
    200,
  );
});

t.test('the cookie is Secure when the public URL is https', async (t) => {
  const { app } = await testApp(t, { env: { CHARTROOM_PUBLIC_URL: 'https://charts.example.com' } });
  const res = await signIn(app, 'admin', ADMIN_PASSWORD, { origin: 'https://charts.example.com' });
  t.equal(res.statusCode, 201, res.body);
  t.match(String(res.headers['set-cookie']), /; Secure/);
});

t.test('sign-in refusals: wrong password, unknown user, a token, bad bodies', async (t) => {
  const { app, db } = await testApp(t);
  let res = await signIn(app, 'admin', 'wrong-password');
  t.equal(res.statusCode, 401);
  t.equal(res.json().code, 'unauthorized');
  t.notOk(res.headers['set-cookie'], 'no cookie on a refusal');
  t.equal(res.headers['www-authenticate'], 'Basic realm="chartroom"');
  // The console says who it is: then no Basic challenge (no browser password dialog).
  res = await signIn(app, 'admin', 'wrong-password', { 'x-chartroom-console': '1' });
  t.equal(res.statusCode, 401);
  t.notOk(res.headers['www-authenticate']);
  res = await signIn(app, 'nobody', 'whatever-password');
  t.equal(res.statusCode, 401);

  res = await app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: { authorization: adminAuth },
    payload: { name: 'cli' },
  });
  const token = res.json().token as string;
  res = await signIn(app, 'admin', token);
  t.equal(res.statusCode, 401, 'a token is not a password for a console session');
  t.match(res.json().detail, /token cannot open a console session/);

  for (const payload of [{}, { username: 'admin' }, { username: 'admin', password: 'x', extra: 1 }]) {
    res = await app.inject({ method: 'POST', url: '/api/v1/session', headers: json, payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
  }
  t.equal((await db.query('SELECT 1 FROM sessions')).length, 0, 'no session row was left by any refusal');
});

t.test('the sign-in limits are shared with HTTP Basic', async (t) => {
  const { app } = await testApp(t);
  await createUser(app, 'carol', 'carol-password-1');
  let status = 0;
  let attempts = 0;
  while (status !== 429 && attempts < 60) {
    status = (await signIn(app, 'carol', `guess-${attempts++}`)).statusCode;
  }
  t.equal(status, 429, `console sign-ins are limited (after ${attempts - 1} failures)`);
  // The same limits now refuse Basic, even with the right password...
  const basicRes = await app.inject({
    url: '/api/v1/me',
    headers: { authorization: basic('carol', 'carol-password-1') },
  });
  t.equal(basicRes.statusCode, 429);
  t.ok(Number(basicRes.headers['retry-after']) > 0);
  // ... and the console too.
  t.equal((await signIn(app, 'carol', 'carol-password-1')).statusCode, 429);
});

t.test('writes made with the cookie must come from the console origin', async (t) => {
  const { app } = await testApp(t);
  const cookie = `chartroom_session=${cookieOf(await signIn(app, 'admin', ADMIN_PASSWORD))}`;
  const write = (name: string, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/workspaces',
      headers: { cookie, host: 'localhost:80', ...headers },
      payload: { name },
    });
  let res = await write('evil', { origin: 'https://attacker.example' });
  t.equal(res.statusCode, 403, 'another site');
  t.match(res.json().detail, /must come from the console's own page, not from https:\/\/attacker\.example/);
  res = await write('evil2', { origin: 'null' });
  t.equal(res.statusCode, 403, 'an opaque origin');
  res = await write('evil3', {});
  t.equal(res.statusCode, 403, 'no Origin and no Sec-Fetch-Site');
  res = await write('evil4', { 'sec-fetch-site': 'cross-site' });
  t.equal(res.statusCode, 403, 'Sec-Fetch-Site: cross-site');
  res = await write('evil5', { origin: 'http://localhost:8080' });
  t.equal(res.statusCode, 403, 'another port is another origin');
  const list = await app.inject({ url: '/api/v1/workspaces', headers: { authorization: adminAuth } });
  t.same(list.json().items, [], 'nothing was created by a refused write');

  t.equal((await write('good1', { origin: ORIGIN })).statusCode, 201, 'the console origin');
  t.equal((await write('good2', { 'sec-fetch-site': 'same-origin' })).statusCode, 201, 'same-origin fetch metadata');
  // Reads are not writes: a GET from anywhere is fine (the answer is not readable cross-site).
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { cookie, origin: 'https://attacker.example' } })).statusCode,
    200,
  );
  // A forced sign-in (login CSRF) is refused too; scripts without Origin may sign in.
  res = await signIn(app, 'admin', ADMIN_PASSWORD, { origin: 'https://attacker.example' });
  t.equal(res.statusCode, 403);
  t.notOk(res.headers['set-cookie']);
  // Basic is not a cookie: no Origin check.
  res = await app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: { authorization: adminAuth, origin: 'https://attacker.example' },
    payload: { name: 'scripted' },
  });
  t.equal(res.statusCode, 201);
});

t.test('a public URL is an accepted origin behind a proxy', async (t) => {
  const { app } = await testApp(t, { env: { CHARTROOM_PUBLIC_URL: 'https://charts.example.com/' } });
  const cookie = `chartroom_session=${cookieOf(await signIn(app, 'admin', ADMIN_PASSWORD))}`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: { cookie, host: 'internal:8080', origin: 'https://charts.example.com' },
    payload: { name: 'proxied' },
  });
  t.equal(res.statusCode, 201, res.body);
});

t.test('sessions end on the server: sign-out, disabling, passwords, idle and age', async (t) => {
  const { app, db } = await testApp(t);
  await createUser(app, 'dave', 'dave-password-1');
  let password = 'dave-password-1';
  const session = async () => `chartroom_session=${cookieOf(await signIn(app, 'dave', password))}`;
  const me = async (cookie: string) => (await app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode;

  // Sign-out ends the session itself, not only the browser's copy of the cookie.
  let cookie = await session();
  t.equal(await me(cookie), 200);
  let res = await app.inject({
    method: 'DELETE',
    url: '/api/v1/session',
    headers: { cookie, origin: ORIGIN, host: 'localhost:80' },
  });
  t.equal(res.statusCode, 204);
  t.match(String(res.headers['set-cookie']), /^chartroom_session=; Path=\/; Max-Age=0/);
  t.equal(await me(cookie), 401, 'the old cookie no longer works');
  // Signing out from another site is refused (it would be a nuisance, and it is a write).
  cookie = await session();
  res = await app.inject({
    method: 'DELETE',
    url: '/api/v1/session',
    headers: { cookie, origin: 'https://attacker.example' },
  });
  t.equal(res.statusCode, 403);
  t.equal(await me(cookie), 200);
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/session' })).statusCode, 204, 'no session: a no-op');

  // Disabling the user ends every session at once, and re-enabling does not revive them.
  const patch = (payload: object) =>
    app.inject({ method: 'PATCH', url: '/api/v1/users/dave', headers: { authorization: adminAuth }, payload });
  t.equal((await patch({ disabled: true })).statusCode, 200);
  t.equal(await me(cookie), 401, 'disabled: at once');
  t.equal((await signIn(app, 'dave', 'dave-password-1')).statusCode, 401, 'and no new session');
  t.equal((await patch({ disabled: false })).statusCode, 200);
  t.equal(await me(cookie), 401, 're-enabled: the old session stays ended');

  // An administrator setting the password ends the sessions.
  cookie = await session();
  t.equal((await patch({ password: 'dave-password-2' })).statusCode, 200);
  password = 'dave-password-2';
  t.equal(await me(cookie), 401);

  // Changing one's own password keeps the session making the change, and ends the others.
  const here = `chartroom_session=${cookieOf(await signIn(app, 'dave', 'dave-password-2'))}`;
  const elsewhere = `chartroom_session=${cookieOf(await signIn(app, 'dave', 'dave-password-2'))}`;
  res = await app.inject({
    method: 'PUT',
    url: '/api/v1/me/password',
    headers: { cookie: here, origin: ORIGIN, host: 'localhost:80' },
    payload: { current: 'dave-password-2', new: 'dave-password-3' },
  });
  t.equal(res.statusCode, 204, res.body);
  password = 'dave-password-3';
  t.equal(await me(here), 200);
  t.equal(await me(elsewhere), 401);

  // Idle for longer than the idle time, or past the maximum age: ended.
  cookie = await session();
  await db.query(`UPDATE sessions SET last_seen_at = now() - interval '121 minutes'`);
  t.equal(await me(cookie), 401, 'idle too long');
  cookie = await session();
  await db.query(`UPDATE sessions SET expires_at = now() - interval '1 second'`);
  t.equal(await me(cookie), 401, 'past its maximum age');
  // Ended sessions (every one so far: the updates above reached them all) are pruned
  // when a new one begins.
  await session();
  const left = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
  t.equal(left[0]?.n, 1, 'only the new session remains');

  // Deleting the user ends them too.
  cookie = await session();
  t.equal(
    (await app.inject({ method: 'DELETE', url: '/api/v1/users/dave', headers: { authorization: adminAuth } }))
      .statusCode,
    204,
  );
  t.equal(await me(cookie), 401);
});

t.test('a session renews its last use while in use', async (t) => {
  const { app, db } = await testApp(t);
  const cookie = `chartroom_session=${cookieOf(await signIn(app, 'admin', ADMIN_PASSWORD))}`;
  await db.query(`UPDATE sessions SET last_seen_at = now() - interval '100 minutes'`);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode, 200);
  const [row] = await db.query<{ age: number }>(
    'SELECT extract(epoch FROM now() - last_seen_at)::int AS age FROM sessions',
  );
  t.ok((row?.age ?? 999) < 10, 'last use moved to now');
});

t.test('the console page and assets', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'assets'));
  await fs.writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
  );
  const script = `console.log(${JSON.stringify('x'.repeat(5000))});`;
  await fs.writeFile(path.join(dir, 'assets', 'app-1a2b.js'), script);
  const { app } = await testApp(t, { consoleDir: dir });

  let res = await app.inject({ url: '/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html/);
  t.equal(res.headers['cache-control'], 'no-cache');
  t.equal(res.headers['content-security-policy'], CONSOLE_CSP);
  t.match(CONSOLE_CSP, /script-src 'self'(;|$)/, 'no inline scripts, no eval');
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  t.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['x-frame-options'], 'DENY');
  const etag = res.headers.etag as string;
  t.equal((await app.inject({ url: '/', headers: { 'if-none-match': etag } })).statusCode, 304);

  res = await app.inject({ url: '/assets/app-1a2b.js', headers: { 'accept-encoding': 'gzip' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(res.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(res.rawPayload).toString(), script);
  t.ok(res.rawPayload.length < script.length / 10, 'compressed');
  res = await app.inject({ url: '/assets/app-1a2b.js', headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(res.headers['content-encoding'], 'br');
  t.equal(brotliDecompressSync(res.rawPayload).toString(), script);
  res = await app.inject({ url: '/assets/app-1a2b.js' });
  t.notOk(res.headers['content-encoding']);
  t.equal(res.body, script);
  t.match(res.headers['content-type'], /^text\/javascript/);

  // Only the build's own files: a name is looked up, never joined to a path.
  for (const [url, status] of [
    ['/assets/missing.js', 404],
    ['/assets/index.html', 404],
    ['/assets/..%2Findex.html', 400],
  ] as const) {
    res = await app.inject({ url });
    t.equal(res.statusCode, status, url);
  }

  // Without a build, the page says what to do.
  const bare = await testApp(t);
  res = await bare.app.inject({ url: '/' });
  t.equal(res.statusCode, 404);
  t.match(res.json().detail, /npm run build/);
});
