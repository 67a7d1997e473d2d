// requires: chromium
// The console's safety, in a real browser: a write forged from another origin fails
// even though the browser sends the session cookie; a README with <script> and
// javascript: links renders inert; a draft never shows to an outsider; signing out ends
// the session on the server; and the console works from the keyboard alone.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PASSWORD, adminAuth, basic } from '../helpers/app.js';
import { makeChart, chartYamlFor } from '../helpers/tarball.js';
import { serverEnv, startServer, type RunningServer } from '../helpers/server-process.js';
import { launchBrowser, openConsole, signInThroughForm } from '../helpers/browser.js';

t.setTimeout(10 * 60_000);

async function call(server: RunningServer, method: string, p: string, body?: unknown, auth = adminAuth) {
  const init: RequestInit = { method, headers: { authorization: auth } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${server.url}${p}`, init);
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function upload(server: RunningServer, ws: string, chart: Buffer): Promise<void> {
  const form = new FormData();
  form.append('chart', new Blob([new Uint8Array(chart)]), 'chart.tgz');
  await call(server, 'POST', `/api/v1/workspaces/${ws}/apps`, form);
}

async function release(server: RunningServer, ws: string, app: string, version: string): Promise<void> {
  await call(server, 'PATCH', `/api/v1/workspaces/${ws}/apps/${app}`, { category: 'uncategorized' });
  for (const action of ['submit', 'pass', 'release']) {
    await call(server, 'POST', `/api/v1/workspaces/${ws}/apps/${app}/versions/${version}/actions`, { action });
  }
}

/** A page on another origin (another port of the same host: the same site, so a
 * SameSite=Lax cookie is still sent) that tries to write with the victim's session. */
async function attackerSite(t: { teardown(fn: () => unknown): void }, target: string): Promise<string> {
  const page = `<!doctype html><html><body>
<form id="forged" method="POST" action="${target}/api/v1/workspaces" enctype="text/plain">
  <input type="hidden" name='{"name":"forged-by-form","x":"' value='"}'>
</form>
<script>
  fetch(${JSON.stringify(target)} + '/api/v1/workspaces', {
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ name: 'forged-by-fetch' }),
  }).finally(() => document.getElementById('forged').submit());
</script></body></html>`;
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

t.test('the console in a hostile world', async (t) => {
  const server = await startServer(t, await serverEnv(t, 'pglite', 'disk'));
  const browser = await launchBrowser(t);
  await call(server, 'POST', '/api/v1/workspaces', { name: 'sec' });
  await call(server, 'POST', '/api/v1/users', {
    username: 'outsider',
    password: 'outsider-password',
    role: 'platform-regular',
  });

  t.test('a write forged from another origin fails, though the cookie is sent', async (t) => {
    const victim = await openConsole(browser, server.url);
    await signInThroughForm(victim.page, 'admin', ADMIN_PASSWORD);
    const forged: Array<{ url: string; status: number; cookie: boolean }> = [];
    victim.page.on('response', async (res) => {
      if (res.request().method() !== 'POST' || !res.url().endsWith('/api/v1/workspaces')) return;
      const headers = await res.request().allHeaders();
      forged.push({ url: res.url(), status: res.status(), cookie: /chartroom_session=/.test(headers.cookie ?? '') });
    });
    await victim.page.goto(await attackerSite(t, server.url));
    // The form's submission navigates to the server's refusal.
    await victim.page.waitForURL(`${server.url}/api/v1/workspaces`);
    t.same(
      forged.map((f) => f.status),
      [403, 403],
      'both forged writes (a form and a fetch) were refused',
    );
    // Chromium sends the cookie with the form's top-level POST (same site, SameSite=Lax):
    // the Origin check is what stops it.
    t.ok(
      forged.some((f) => f.cookie),
      'the forged form carried the session cookie',
    );
    t.match(await victim.page.textContent('body'), /must come from the console's own page/);
    const names = (await call(server, 'GET', '/api/v1/workspaces')).items.map((w: { name: string }) => w.name);
    t.same(names, ['sec'], 'nothing was created');

    // The same write from the console's own page works: the refusal was the origin's.
    await victim.page.goto(`${server.url}/#/store`);
    const status = await victim.page.evaluate(() =>
      fetch('/api/v1/workspaces', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'made-by-console' }),
      }).then((r) => r.status),
    );
    t.equal(status, 201);
    await call(server, 'DELETE', '/api/v1/workspaces/made-by-console');
  });

  t.test('a README with scripts and javascript: links renders inert', async (t) => {
    const readme = [
      '# Evil chart',
      '<script>window.__pwned = "script"</script>',
      '<img src="x" onerror="window.__pwned = \'img\'">',
      '[click me](javascript:window.__pwned="link")',
      '<a href="javascript:window.__pwned=\'raw\'">raw link</a>',
      '[data link](data:text/html,<script>alert(1)</script>)',
      '<iframe src="https://example.com"></iframe>',
      '[a safe link](https://example.com/docs)',
      '',
      '```',
      '<script>not code</script>',
      '```',
    ].join('\n\n');
    const chartYaml = chartYamlFor('evil', '1.0.0').replace(
      'description: A test chart',
      `description: '<img src=x onerror="window.__pwned=1">Evil'`,
    );
    await upload(server, 'sec', makeChart({ name: 'evil', version: '1.0.0', readme, chartYaml }));
    await release(server, 'sec', 'evil', '1.0.0');

    const visitor = await openConsole(browser, server.url);
    const page = visitor.page;
    for (const where of ['/#/store/apps/evil', '/#/store']) {
      await page.goto(where);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
    }
    await page.goto('/#/store/apps/evil');
    const md = page.locator('.markdown');
    await md.waitFor();
    await page.waitForLoadState('networkidle');
    t.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, 'nothing ran');
    t.equal(await md.locator('script, img, iframe, [onerror]').count(), 0, 'no script, image or frame element');
    const hrefs = await md.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    t.ok(hrefs.length > 0, 'the safe link is a link');
    t.same(
      hrefs.filter((h) => !/^https:\/\/example\.com(\/docs)?$/.test(h ?? '')),
      [],
      'only http(s) links are links (javascript: and data: ones are not)',
    );
    const text = await md.innerText();
    t.match(text, /<script>window\.__pwned = "script"<\/script>/, 'raw HTML shows as text');
    t.match(text, /\[click me\]\(javascript:/, 'a javascript: link stays text');
    t.match(text, /<script>not code<\/script>/, 'code shows as written');
    // The chart's description is text too, wherever it shows.
    await page.goto('/#/store');
    await page.getByText('<img src=x onerror="window.__pwned=1">Evil').first().waitFor();
    t.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
    t.equal(await page.locator('main svg').count(), 0, 'icons are never inlined');
    t.same(visitor.complaints, [], 'and the CSP had nothing to refuse: no script was even tried');
  });

  t.test('a draft never appears to an outsider', async (t) => {
    await upload(server, 'sec', makeChart({ name: 'secret-draft', version: '0.1.0' }));
    const outsider = await openConsole(browser, server.url);
    const page = outsider.page;
    await signInThroughForm(page, 'outsider', 'outsider-password');
    await page.goto('/#/store?q=secret');
    await page
      .getByRole('status')
      .filter({ hasText: /^0 apps/ })
      .waitFor();
    await page.goto('/#/workspaces');
    await page.getByRole('heading', { level: 1, name: 'App Templates' }).waitFor();
    await page.waitForLoadState('networkidle');
    t.equal(await page.getByText('sec', { exact: true }).count(), 0, 'the workspace is not listed');
    await page.goto('/#/workspaces/sec/apps/secret-draft');
    await page.getByRole('alert').first().waitFor();
    t.match(await page.getByRole('alert').first().innerText(), /not found/i, 'the API says not found');
    t.notMatch(await page.locator('main').innerText(), /0\.1\.0/, 'no version shows');
    t.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'App Review' }).count(),
      0,
      'no review queue in the menu',
    );
    await page.goto('/#/reviews');
    await page.getByRole('alert').first().waitFor();
    t.notMatch(await page.locator('main').innerText(), /secret-draft/);
    // And to the anonymous visitor.
    const visitor = await openConsole(browser, server.url);
    await visitor.page.goto('/#/store?q=secret');
    await visitor.page
      .getByRole('status')
      .filter({ hasText: /^0 apps/ })
      .waitFor();
  });

  t.test('signing out ends the session on the server; so does disabling the user', async (t) => {
    const user = await openConsole(browser, server.url);
    const page = user.page;
    await signInThroughForm(page, 'outsider', 'outsider-password');
    const [cookie] = (await user.context.cookies()).filter((c) => c.name === 'chartroom_session');
    t.ok(cookie, 'the session cookie is set');
    t.equal(cookie?.httpOnly, true, 'HttpOnly');
    t.equal(cookie?.sameSite, 'Lax', 'SameSite=Lax');
    t.equal(await page.evaluate(() => document.cookie.includes('chartroom_session')), false, 'scripts cannot read it');
    const withCookie = () =>
      fetch(`${server.url}/api/v1/me`, { headers: { cookie: `chartroom_session=${cookie?.value}` } }).then(
        (r) => r.status,
      );
    t.equal(await withCookie(), 200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    t.equal(await withCookie(), 401, 'the old cookie is dead on the server, not only forgotten by the browser');

    // Disabled while signed in: the next thing the console asks for finds the session ended.
    await signInThroughForm(page, 'outsider', 'outsider-password');
    await call(server, 'PATCH', '/api/v1/users/outsider', { disabled: true });
    await page.goto('/#/account');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    t.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'signed out');
    await call(server, 'PATCH', '/api/v1/users/outsider', { disabled: false });
  });

  t.test('keyboard only: sign in, open an app, reach its commands', async (t) => {
    const user = await openConsole(browser, server.url);
    const page = user.page;
    await page.goto('/#/store');
    await page.getByRole('heading', { level: 1, name: 'Store' }).waitFor();
    /** Presses Tab until the focused element matches, at most `max` times. */
    const tabTo = async (
      test: (el: { tag: string; text: string; label: string; href: string }) => boolean,
      max = 60,
    ) => {
      for (let n = 0; n < max; n++) {
        await page.keyboard.press('Tab');
        const el = await page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return {
            tag: a?.tagName ?? '',
            text: (a?.innerText ?? '').trim(),
            label: a?.getAttribute('aria-label') ?? (a as HTMLInputElement | null)?.labels?.[0]?.innerText ?? '',
            href: a?.getAttribute('href') ?? '',
          };
        });
        if (test(el)) return el;
      }
      throw new Error('not reached by Tab');
    };
    const first = await tabTo(() => true);
    t.equal(first.text, 'Skip to content', 'the first stop skips the navigation');
    await tabTo((el) => el.tag === 'A' && el.text === 'Sign in');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    // The view settles first (its requests answered), as a person would see it: keys
    // typed while it still redraws can land in a form that is then replaced.
    await page.waitForLoadState('networkidle');
    await tabTo((el) => el.tag === 'INPUT' && el.label === 'Username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto('/#/store');
    await page.getByRole('heading', { level: 1, name: 'Store' }).waitFor();
    await page.waitForLoadState('networkidle');
    await tabTo((el) => el.tag === 'A' && el.href === '#/store/apps/evil');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'evil' }).waitFor();
    const copy = await tabTo((el) => el.tag === 'BUTTON' && el.label.startsWith('Copy'));
    t.match(copy.label, /Copy: Add the store/, 'the commands are reachable');
    t.same(user.complaints, []);
  });
});

t.test('basic auth still works for scripts beside the console', async (t) => {
  const server = await startServer(t, await serverEnv(t, 'pglite', 'disk'));
  const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: basic('admin', ADMIN_PASSWORD) } });
  t.equal(res.status, 200);
  const page = await fetch(`${server.url}/`);
  t.equal(page.status, 200, 'the built console is served by the same process');
  t.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const html = await page.text();
  t.notMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>[^<]+/, 'the page has no inline script');
  t.notMatch(html, /<style|style=/, 'and no inline style');
});
