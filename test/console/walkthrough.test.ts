// requires: helm, corpus, chromium
// The seed's walk-through (SPEC section 2 and 13), steps 1 to 8, by clicking in a real
// browser (Debian's chromium) against Chartroom running as a process: the admin sets up
// roles, accounts and a workspace; an ISV uploads redis with an icon, edits its
// information and submits; a reviewer passes; the ISV releases; the reviewer sorts it
// into a new category; a second version goes through review; the reviewer suspends and
// activates the app and a version. Every step checks what the page shows and, with real
// helm, what the store index serves. Each main view is checked with axe-core and saved
// as a screenshot under test-results/console/.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, adminAuth, tempDir } from '../helpers/app.js';
import { corpusDir } from '../helpers/env.js';
import { helmBinaries, makeHelm, searchVersions } from '../helpers/helm.js';
import { badgePng } from '../helpers/images.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import {
  checkAccessibility,
  checkNoSidewaysScroll,
  launchBrowser,
  openConsole,
  PHONE,
  screenshot,
  signInThroughForm,
  type ConsolePage,
} from '../helpers/browser.js';

t.setTimeout(15 * 60_000);

t.test('the seed walk-through, by clicking', async (t) => {
  // Imports may reach loopback: the last step imports this server's own store.
  const server = await startServer(t, {
    ...(await serverEnv(t, 'pglite', 'disk')),
    CHARTROOM_IMPORT_ALLOW_PRIVATE: 'true',
  });
  const browser = await launchBrowser(t);
  const work = await tempDir(t);
  const charts = path.join(corpusDir(), 'charts');
  const redisIcon = path.join(work, 'redis.png');
  await fs.writeFile(redisIcon, badgePng(96, [0xd8, 0x2c, 0x20]));
  const databaseIcon = path.join(work, 'database.png');
  await fs.writeFile(databaseIcon, badgePng(64, [0x1f, 0x6f, 0xeb]));

  const [helm3] = helmBinaries();
  const helm = await makeHelm(t, helm3!.label, helm3!.bin);
  await helm.run(['repo', 'add', 'store', `${server.url}/store`]);
  /** What the store index serves of redis, as helm sees it after an update. */
  const storeVersions = async (): Promise<string[]> => {
    await helm.run(['repo', 'update', 'store']);
    return searchVersions(await helm.run(['search', 'repo', 'store/redis', '--versions', '--devel']), 'store/redis');
  };
  const api = async (p: string) => {
    const res = await fetch(`${server.url}${p}`, { headers: { authorization: adminAuth } });
    return { status: res.status, json: (await res.json()) as any };
  };
  /** Checks a view with axe-core and saves its screenshot. */
  const look = async (cp: ConsolePage, name: string) => {
    await checkAccessibility(t, cp.page, name);
    await cp.page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(cp.page, name);
  };
  const heading = (page: Page, name: string | RegExp) =>
    page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
  const versionActions = (page: Page, version: string) => page.getByRole('group', { name: `Actions for ${version}` });
  const LABELS: Record<string, string> = {
    submit: 'Submit for Review',
    cancel: 'Cancel Submission',
    pass: 'Pass',
    reject: 'Reject',
    release: 'Release to Store',
    suspend: 'Suspend Version',
    activate: 'Activate Version',
  };
  /** The version's buttons are exactly what the API's allowedActions says for this caller. */
  const checkActions = async (page: Page, auth: string, version: string) => {
    const res = await fetch(`${server.url}/api/v1/workspaces/demo/apps/redis/versions/${version}`, {
      headers: { authorization: auth },
    });
    const allowed = ((await res.json()) as { allowedActions: string[] }).allowedActions;
    const wanted = allowed.filter((a) => a in LABELS).map((a) => LABELS[a]);
    if (allowed.includes('delete')) wanted.push('Delete');
    const shown = await versionActions(page, version).getByRole('button').allInnerTexts();
    t.same(shown.map((x) => x.trim()).sort(), wanted.sort(), `${version}: exactly the actions the API allows`);
  };
  const isvAuth = `Basic ${Buffer.from('isv:isv-password').toString('base64')}`;
  const versionRow = (page: Page, version: string) =>
    page.getByRole('row').filter({ has: page.getByRole('link', { name: version, exact: true }) });

  // --- 1. The admin creates the app-review role, the isv and reviewer accounts, a
  // workspace, and invites them. ---------------------------------------------------
  const admin = await openConsole(browser, server.url);
  const a = admin.page;
  await a.goto('/#/sign-in');
  await heading(a, 'Sign in');
  await look(admin, 'sign-in');
  await signInThroughForm(a, 'admin', ADMIN_PASSWORD);
  await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Platform' }).click();
  const platformTab = (name: string) =>
    a.getByRole('navigation', { name: 'Platform' }).getByRole('link', { name, exact: true }).click();

  await platformTab('Roles');
  await a.getByLabel('Name', { exact: true }).fill('app-review');
  await a.getByLabel('Description', { exact: true }).first().fill('Reviews apps and runs the store');
  await a.getByLabel('app-templates.view', { exact: true }).check();
  await a.getByLabel('app-templates.manage', { exact: true }).check();
  await a.getByRole('button', { name: 'Create Role' }).click();
  await a.getByRole('group', { name: 'Actions for app-review' }).waitFor();
  await look(admin, 'platform-roles');
  const role = await api('/api/v1/roles/app-review');
  t.same(role.json.permissions?.slice().sort(), ['app-templates.manage', 'app-templates.view'], 'the role holds both');

  await platformTab('Users');
  for (const [username, platformRole] of [
    ['isv', 'platform-regular'],
    ['reviewer', 'app-review'],
  ] as const) {
    await a.getByLabel('Username', { exact: true }).fill(username);
    await a.getByLabel('Display name', { exact: true }).fill(username === 'isv' ? 'An ISV' : 'A reviewer');
    await a.getByLabel('Password', { exact: true }).fill(`${username}-password`);
    await a.getByLabel('Platform role', { exact: true }).selectOption(platformRole);
    await a.getByRole('button', { name: 'Create User' }).click();
    await a.getByRole('group', { name: `Actions for ${username}` }).waitFor();
    t.equal((await api(`/api/v1/users/${username}`)).json.role, platformRole, `${username} exists as ${platformRole}`);
  }
  await look(admin, 'platform-users');

  await platformTab('Workspaces');
  await a.getByLabel('Name', { exact: true }).fill('demo');
  await a.getByLabel('Display name', { exact: true }).fill('Demo ISV');
  await a.getByRole('button', { name: 'Create Workspace' }).click();
  await a.getByRole('link', { name: 'demo', exact: true }).waitFor();
  await look(admin, 'platform-workspaces');
  await a.getByRole('link', { name: 'demo', exact: true }).click();
  await heading(a, 'Members of demo');
  for (const [username, wsRole] of [
    ['isv', 'workspace-admin'],
    ['reviewer', 'workspace-viewer'],
  ] as const) {
    await a.getByLabel('Username', { exact: true }).fill(username);
    await a.getByLabel('Role', { exact: true }).selectOption(wsRole);
    await a.getByRole('button', { name: 'Invite Member' }).click();
    await a.getByText(`${username} is a member of demo as ${wsRole}.`).waitFor();
  }
  await look(admin, 'platform-members');
  const members = await api('/api/v1/workspaces/demo/members');
  t.same(members.json.items.map((m: { username: string; role: string }) => `${m.username}:${m.role}`).sort(), [
    'isv:workspace-admin',
    'reviewer:workspace-viewer',
  ]);

  // --- 2. The ISV uploads redis 17.11.6 with a 96×96 icon, edits its information and
  // submits it for review. -----------------------------------------------------------
  const isv = await openConsole(browser, server.url);
  const i = isv.page;
  await signInThroughForm(i, 'isv', 'isv-password');
  await i.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'App Templates' }).click();
  await i.getByRole('link', { name: /demo/ }).first().click();
  await i.getByRole('heading', { name: 'Upload Template' }).waitFor();
  await look(isv, 'workspace-app-templates-empty');
  await i.getByLabel('Chart package (.tgz)').setInputFiles(path.join(charts, 'redis-17.11.6.tgz'));
  await i.getByLabel('Icon (optional)').setInputFiles(redisIcon);
  await i.getByLabel('Update log').fill('First release of redis in the store');
  await i.getByRole('button', { name: 'Upload', exact: true }).click();
  await heading(i, 'redis');
  const appIcon = i.locator('main img.icon').first();
  await appIcon.waitFor();
  t.equal(await appIcon.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), 96, 'the icon shows');
  t.match(
    await appIcon.getAttribute('src'),
    /\/api\/v1\/workspaces\/demo\/apps\/redis\/icon/,
    'through the icon route',
  );
  await t.resolves(versionActions(i, '17.11.6').getByRole('button', { name: 'Submit for Review' }).waitFor());
  await checkActions(i, isvAuth, '17.11.6');

  // The same version again is refused, and the page says what the API said.
  await i.getByLabel('Chart package (.tgz)').setInputFiles(path.join(charts, 'redis-17.11.6.tgz'));
  await i.getByRole('button', { name: 'Upload Version' }).click();
  const refusal = i.getByRole('alert').filter({ hasText: /17\.11\.6/ });
  await refusal.waitFor();
  t.match(await refusal.innerText(), /already exists|version-exists/, 'the refusal is the API message');

  await i.getByRole('button', { name: 'Edit Information' }).click();
  await i.getByLabel('Description', { exact: true }).fill('Redis, an in-memory data store');
  await i.getByLabel('Abstraction', { exact: true }).fill('Fast key-value store');
  await i.getByLabel('Home', { exact: true }).fill('https://redis.io');
  await i.getByLabel('Category', { exact: true }).selectOption({ label: 'uncategorized' });
  await i.getByRole('button', { name: 'Save', exact: true }).click();
  await i.getByText('Fast key-value store').first().waitFor();
  const info = await api('/api/v1/workspaces/demo/apps/redis');
  t.equal(info.json.abstraction, 'Fast key-value store', 'the information was saved');
  t.equal(info.json.home, 'https://redis.io');
  await look(isv, 'app-template');

  await versionActions(i, '17.11.6').getByRole('button', { name: 'Submit for Review' }).click();
  await versionActions(i, '17.11.6').getByRole('button', { name: 'Cancel Submission' }).waitFor();
  t.equal((await api('/api/v1/workspaces/demo/apps/redis/versions/17.11.6')).json.state, 'submitted');
  await checkActions(i, isvAuth, '17.11.6');
  await i.locator('.timeline').getByText('Submitted for review').first().waitFor();
  t.same(await storeVersions(), [], 'nothing is in the store yet');

  // --- 3. The reviewer passes it from the "Unprocessed" queue. -----------------------
  const reviewer = await openConsole(browser, server.url);
  const r = reviewer.page;
  await signInThroughForm(r, 'reviewer', 'reviewer-password');
  await r.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'App Review' }).click();
  await heading(r, 'App Review');
  await r.getByRole('link', { name: 'Review redis 17.11.6' }).waitFor();
  await look(reviewer, 'review-queue');
  await r.getByRole('link', { name: 'Review redis 17.11.6' }).click();
  await r.getByText('This is the first version.').waitFor();
  await r.getByText('First release of redis in the store').first().waitFor();
  await look(reviewer, 'review-version');
  await r.getByRole('button', { name: 'Pass', exact: true }).click();
  await r.getByRole('link', { name: /Back to the queue/ }).waitFor();
  t.equal((await api('/api/v1/workspaces/demo/apps/redis/versions/17.11.6')).json.state, 'passed');
  await r.goto('/#/reviews?status=processed');
  await r.getByRole('link', { name: 'Review redis 17.11.6' }).waitFor();

  // --- 4. The ISV releases it to the store. ------------------------------------------
  await i.reload();
  await versionActions(i, '17.11.6').getByRole('button', { name: 'Release to Store' }).click();
  // Active: only a reviewer may suspend it, so the ISV's row has no action left.
  await versionRow(i, '17.11.6').getByText('Active', { exact: true }).waitFor();
  t.same(await storeVersions(), ['17.11.6'], 'helm sees the released version');

  const visitor = await openConsole(browser, server.url);
  const v = visitor.page;
  await v.goto('/');
  await v.getByRole('link', { name: /redis/ }).first().waitFor();
  await look(visitor, 'store');
  await v.getByRole('link', { name: /redis/ }).first().click();
  await heading(v, 'redis');
  await v.getByText(`helm repo add store ${server.url}/store`).waitFor();
  await v
    .getByText(`oci://${new URL(server.url).host}/store/redis`)
    .first()
    .waitFor();
  await v.getByRole('heading', { name: 'values.yaml' }).waitFor();
  await look(visitor, 'store-app');

  // --- 5. The reviewer creates "Database" with an icon and moves redis into it. -------
  await r.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Store Management' }).click();
  await heading(r, 'App Categories');
  await r.getByLabel('Name', { exact: true }).fill('Database');
  await r.getByLabel('Description', { exact: true }).fill('Databases and caches');
  await r.getByLabel('Icon', { exact: true }).setInputFiles(databaseIcon);
  await r.getByRole('button', { name: 'Create Category' }).click();
  await r.getByRole('group', { name: 'Actions for Database' }).waitFor();
  const categories = await api('/api/v1/categories');
  const database = categories.json.items.find((c: { name: string }) => c.name === 'Database');
  t.ok(database?.icon, 'the category has its icon');
  await look(reviewer, 'store-management-categories');

  await r.getByRole('navigation', { name: 'Store management' }).getByRole('link', { name: 'Store Apps' }).click();
  const redisBlock = r.getByRole('region', { name: 'redis', exact: true });
  await redisBlock.waitFor();
  await redisBlock.getByLabel('Change Category').selectOption({ label: 'Database' });
  await redisBlock.getByRole('button', { name: 'Save', exact: true }).click();
  await redisBlock.getByText('redis is now in Database.').waitFor();
  await look(reviewer, 'store-management-apps');
  const inDatabase = await (await fetch(`${server.url}/api/v1/store/apps?category=Database`)).json();
  t.same(
    inDatabase.items.map((x: { name: string }) => x.name),
    ['redis'],
    'the store lists redis under Database',
  );
  await v.goto('/#/store');
  await v.getByRole('link', { name: /Database\s*1/ }).click();
  await v.getByRole('heading', { level: 1, name: 'Store: Database' }).waitFor();
  await v.getByRole('link', { name: /redis/ }).first().waitFor();

  // --- 6. The ISV adds 17.14.6 and it goes through review. ---------------------------
  // This time by dragging the package onto the drop zone, as a browser delivers a drop.
  await i.reload();
  const dropzone = i.locator('.dropzone').first();
  await dropzone.waitFor();
  const bytes = (await fs.readFile(path.join(charts, 'redis-17.14.6.tgz'))).toString('base64');
  const dragged = await i.evaluateHandle((b64) => {
    const data = new DataTransfer();
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([raw], 'redis-17.14.6.tgz', { type: 'application/gzip' }));
    return data;
  }, bytes);
  await dropzone.dispatchEvent('dragenter', { dataTransfer: dragged });
  t.match(await dropzone.getAttribute('class'), /\bover\b/, 'the drop zone shows it will take the file');
  await dropzone.dispatchEvent('drop', { dataTransfer: dragged });
  t.notMatch(await dropzone.getAttribute('class'), /\bover\b/);
  await i.getByText('redis-17.14.6.tgz').first().waitFor();
  await i.getByLabel('Update log').fill('Redis 7.0.12');
  await i.getByRole('button', { name: 'Upload Version' }).click();
  await versionActions(i, '17.14.6').getByRole('button', { name: 'Submit for Review' }).click();
  await versionActions(i, '17.14.6').getByRole('button', { name: 'Cancel Submission' }).waitFor();

  // First the reviewer rejects it: a reason is required.
  await r.goto('/#/reviews');
  await r.getByRole('link', { name: 'Review redis 17.14.6' }).click();
  await r.getByRole('button', { name: 'Reject', exact: true }).click();
  const confirm = r.getByRole('button', { name: 'Confirm Rejection' });
  t.equal(await confirm.isDisabled(), true, 'no rejection without a reason');
  await r.getByLabel('Reason').fill('Please describe the Redis 7.0.12 changes in the update log');
  await confirm.click();
  await r.getByRole('link', { name: /Back to the queue/ }).waitFor();
  t.equal((await api('/api/v1/workspaces/demo/apps/redis/versions/17.14.6')).json.state, 'rejected');
  // The ISV sees why in the timeline, and submits again.
  await i.reload();
  await i.locator('.timeline').getByText('Please describe the Redis 7.0.12 changes in the update log').waitFor();
  await checkActions(i, isvAuth, '17.14.6');
  await versionActions(i, '17.14.6').getByRole('button', { name: 'Submit for Review' }).click();
  await versionActions(i, '17.14.6').getByRole('button', { name: 'Cancel Submission' }).waitFor();

  await r.goto('/#/reviews');
  await r.getByRole('link', { name: 'Review redis 17.14.6' }).click();
  const diff = r.locator('pre.diff');
  await diff.waitFor();
  const diffText = await diff.innerText();
  t.match(diffText, /^[+-] /m, 'the values diff against 17.11.6 shows changed lines');
  await r.getByRole('button', { name: 'Pass', exact: true }).click();
  await r.getByRole('link', { name: /Back to the queue/ }).waitFor();

  await i.reload();
  await versionActions(i, '17.14.6').getByRole('button', { name: 'Release to Store' }).click();
  await versionRow(i, '17.14.6').getByText('Active', { exact: true }).waitFor();
  t.same(await storeVersions(), ['17.14.6', '17.11.6'], 'helm sees both versions, newest first');
  await i.getByRole('link', { name: '17.14.6', exact: true }).first().click();
  await heading(i, /17\.14\.6/);
  await look(isv, 'app-version');

  // --- 7. The reviewer suspends and activates the app, then a version. ---------------
  await r.goto('/#/manage/apps');
  await redisBlock.waitFor();
  await redisBlock.getByRole('button', { name: 'Suspend App' }).click();
  await redisBlock.getByRole('button', { name: 'Activate App' }).waitFor();
  t.same(await storeVersions(), [], 'a suspended app leaves the store index');
  await v.goto('/#/store');
  await v
    .getByRole('status')
    .filter({ hasText: /^0 apps/ })
    .waitFor();
  await redisBlock.getByRole('button', { name: 'Activate App' }).click();
  await redisBlock.getByRole('button', { name: 'Suspend App' }).waitFor();
  t.same(await storeVersions(), ['17.14.6', '17.11.6'], 'activated: back in the index');

  await versionActions(r, '17.14.6').getByRole('button', { name: 'Suspend Version' }).click();
  await versionActions(r, '17.14.6').getByRole('button', { name: 'Activate Version' }).waitFor();
  t.same(await storeVersions(), ['17.11.6'], 'a suspended version leaves the index');
  await v.goto('/#/store/apps/redis');
  await v.getByRole('cell', { name: '17.11.6', exact: true }).waitFor();
  t.equal(await v.getByRole('cell', { name: '17.14.6', exact: true }).count(), 0, 'nor is it on the app page');
  await versionActions(r, '17.14.6').getByRole('button', { name: 'Activate Version' }).click();
  await versionActions(r, '17.14.6').getByRole('button', { name: 'Suspend Version' }).waitFor();
  t.same(await storeVersions(), ['17.14.6', '17.11.6'], 'activated: both again');

  // --- 8. Anyone installs from the store. ---------------------------------------------
  await helm.run(['pull', 'store/redis', '--version', '17.14.6', '--destination', work]);
  t.ok((await fs.stat(path.join(work, 'redis-17.14.6.tgz'))).size > 0, 'helm pulls the released chart');

  // An ISV mirrors a third-party repository (here this store) into another workspace
  // and watches the sync end.
  for (const [method, p, body] of [
    ['POST', '/api/v1/workspaces', { name: 'mirror' }],
    ['PUT', '/api/v1/workspaces/mirror/members/isv', { role: 'workspace-admin' }],
  ] as const) {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    t.ok(res.ok, `${method} ${p}`);
  }
  await i.goto('/#/workspaces/mirror?tab=repos');
  await i.getByRole('heading', { name: 'Add Repository' }).waitFor();
  await i.getByLabel('Name', { exact: true }).fill('upstream');
  await i.getByLabel('URL', { exact: true }).fill(`${server.url}/store/`);
  await i.getByRole('button', { name: 'Add Repository' }).click();
  const repoBlock = i.locator('article.repo').filter({ hasText: 'upstream' });
  await repoBlock.getByText('Successful', { exact: true }).waitFor({ timeout: 60_000 });
  await repoBlock.getByText('2 imported, 0 failed', { exact: false }).waitFor();
  await look(isv, 'workspace-repositories');
  const mirrored = await api('/api/v1/workspaces/mirror/apps/redis/versions');
  t.same(
    mirrored.json.items.map((x: { version: string; state: string }) => `${x.version}:${x.state}`).sort(),
    ['17.11.6:draft', '17.14.6:draft'],
    'both store versions were imported as drafts for review',
  );

  // The remaining views, for the screenshots and axe.
  await i.goto('/#/workspaces/demo');
  await i.getByRole('link', { name: 'redis', exact: true }).first().waitFor();
  await look(isv, 'workspace-app-templates');
  await i.goto('/#/account');
  await heading(i, 'Your Account');
  await i.getByLabel('Name', { exact: true }).fill('ci');
  await i.getByRole('button', { name: 'Create Token' }).click();
  await i.getByText('Copy it now: it will not be shown again').waitFor();
  const token = (await i.locator('.new-token code').innerText()).trim();
  const asToken = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(asToken.status, 200, 'the token shown works as a Bearer token');
  await look(isv, 'account');
  await i.reload();
  await heading(i, 'Your Account');
  await i.getByRole('rowheader', { name: 'ci', exact: true }).waitFor();
  t.notMatch(await i.locator('main').innerText(), new RegExp(token), 'and is never shown again');

  // On a phone: the store, an app, the workspace and the review pages stay legible
  // without sideways scrolling.
  const phone = await openConsole(browser, server.url, PHONE);
  const phoneViews = [
    ['/#/store', 'phone-store'],
    ['/#/store/apps/redis', 'phone-store-app'],
    ['/#/sign-in', 'phone-sign-in'],
    ['/#/workspaces/demo', 'phone-workspace'],
    ['/#/workspaces/demo/apps/redis', 'phone-app-template'],
    ['/#/reviews?status=processed', 'phone-review-queue'],
    ['/#/reviews/demo/redis/17.14.6', 'phone-review-version'],
    ['/#/manage/apps', 'phone-store-management'],
  ] as const;
  for (const [hash, name] of phoneViews) {
    if (hash === '/#/workspaces/demo') await signInThroughForm(phone.page, 'reviewer', 'reviewer-password');
    await phone.page.goto(hash);
    await phone.page.getByRole('heading', { level: 1 }).first().waitFor();
    await phone.page.waitForLoadState('networkidle');
    await checkNoSidewaysScroll(t, phone.page, name);
    await look(phone, name);
  }

  for (const [who, cp] of [
    ['admin', admin],
    ['isv', isv],
    ['reviewer', reviewer],
    ['visitor', visitor],
    ['phone', phone],
  ] as const) {
    t.same(cp.complaints, [], `${who}: no script errors and nothing refused by the CSP`);
  }
});
