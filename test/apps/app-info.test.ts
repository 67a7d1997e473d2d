// App info taken from an uploaded Chart.yaml follows the PATCH rules: only http(s)
// links reach app objects and listings (the Helm index keeps the chart's own fields),
// and a description longer than an app's description may be is refused at upload.
import t from 'tap';
import yaml from 'js-yaml';
import { countRowsAndBlobs, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { APP_INFO_LIMITS, isSafeLink } from '../../src/apps/app-info.js';

const HOSTILE = `apiVersion: v2
name: web
version: 1.0.0
description: A web server
home: "javascript:alert(document.domain)"
icon: "javascript:alert(1)"
sources:
  - "javascript:alert(2)"
  - https://github.com/example/web
maintainers:
  - name: Mallory
    url: "JavaScript:alert(3)"
  - name: Alice
    url: https://alice.example
`;

t.test('links from Chart.yaml reach app info and listings only when PATCH would accept them', async (t) => {
  const { app } = await testApp(t);
  const f = await new StoreFixture(app).setUp();
  let res = await f.upload('wsregular', makeChart({ name: 'web', version: '1.0.0', chartYaml: HOSTILE }));
  t.equal(res.statusCode, 201, 'the chart itself is accepted');
  t.equal(res.json().app.home, '', 'the javascript: home is not app info');
  t.equal(res.json().app.description, 'A web server');
  const meta = res.json().version.metadata;
  t.notOk('home' in meta, 'version metadata in the API leaves out the unsafe home');
  t.notOk('icon' in meta, '... and the unsafe icon');
  t.same(meta.sources, ['https://github.com/example/web'], '... and unsafe sources');
  t.same(
    meta.maintainers,
    [{ name: 'Mallory' }, { name: 'Alice', url: 'https://alice.example' }],
    '... and unsafe maintainer urls',
  );

  res = await f.people.as('wsregular', 'PATCH', f.url('web'), { home: 'javascript:alert(document.domain)' });
  t.equal(res.statusCode, 400, 'PATCH refuses the same value');

  // The workspace's Helm index keeps the chart's own fields, as Helm expects.
  const index = yaml.load((await f.people.as('viewer', 'GET', '/workspaces/demo/index.yaml')).body) as {
    entries: Record<string, Array<Record<string, unknown>>>;
  };
  t.equal(index.entries.web?.[0]?.home, 'javascript:alert(document.domain)');

  // Nowhere a browser console reads: app objects, the review queue, the store API.
  const noScriptUrl = (body: string, where: string) =>
    t.notMatch(body, /javascript:/i, `${where} carries no javascript: URL`);
  noScriptUrl((await f.people.as('viewer', 'GET', f.url('web'))).body, 'the app');
  noScriptUrl((await f.people.as('viewer', 'GET', '/api/v1/workspaces/demo/apps')).body, 'the app list');
  await f.people.as('wsregular', 'PATCH', f.url('web'), { category: 'uncategorized' });
  await f.act('wsregular', 'web', '1.0.0', 'submit');
  res = await f.people.as('reviewer', 'GET', '/api/v1/reviews');
  t.equal(res.json().items.length, 1);
  noScriptUrl(res.body, 'the review queue');
  await f.act('reviewer', 'web', '1.0.0', 'pass');
  await f.act('wsregular', 'web', '1.0.0', 'release');
  res = await app.inject({ url: '/api/v1/store/apps' });
  t.equal(res.json().items.length, 1);
  noScriptUrl(res.body, 'the store listing');
  res = await app.inject({ url: '/api/v1/store/apps/web' });
  t.same(res.json().versions[0].sources, ['https://github.com/example/web']);
  noScriptUrl(res.body, 'the store app');
});

t.test('a safe home becomes app info; a too long or odd one does not', async (t) => {
  const { app } = await testApp(t);
  const f = await new StoreFixture(app).setUp();
  const withHome = (name: string, home: string) =>
    makeChart({
      name,
      version: '1.0.0',
      chartYaml: `apiVersion: v2\nname: ${name}\nversion: 1.0.0\nhome: ${JSON.stringify(home)}\n`,
    });
  const cases: Array<[string, string, string]> = [
    ['good', 'https://example.com/web', 'https://example.com/web'],
    ['long', `https://example.com/${'a'.repeat(APP_INFO_LIMITS.home)}`, ''],
    ['data', 'data:text/html,<script>alert(1)</script>', ''],
    ['relative', '//evil.example/', ''],
    ['spaced', 'https://exa mple.com/', ''],
  ];
  for (const [name, home, expected] of cases) {
    const res = await f.upload('wsregular', withHome(name, home));
    t.equal(res.statusCode, 201, `${name}: uploaded`);
    t.equal(res.json().app.home, expected, `${name}: app home`);
    // The same rules as PATCH, case by case.
    const patch = await f.people.as('wsregular', 'PATCH', f.url(name), { home });
    t.equal(patch.statusCode === 200, expected !== '', `${name}: PATCH agrees`);
  }
  t.equal(isSafeLink('HTTPS://EXAMPLE.COM/'), false, 'the scheme must be lower case, as PATCH has it');
});

t.test('a description longer than an app description may be is refused at upload', async (t) => {
  const { app } = await testApp(t);
  const f = await new StoreFixture(app).setUp();
  const withDescription = (version: string, description: string) =>
    makeChart({
      name: 'big',
      version,
      chartYaml: `apiVersion: v2\nname: big\nversion: ${version}\ndescription: ${JSON.stringify(description)}\n`,
    });
  const before = await countRowsAndBlobs(app);
  let res = await f.upload('wsregular', withDescription('1.0.0', 'x'.repeat(APP_INFO_LIMITS.description + 1)));
  t.equal(res.statusCode, 400);
  t.match(res.json(), {
    code: 'chart-invalid',
    detail:
      "Chart.yaml description is 10001 characters long; at most 10000 are allowed (the limit of an app's description)",
  });
  // (A Chart.yaml over 5 MiB is refused earlier, as any file of a package over 5 MiB.)
  res = await f.people.as(
    'wsregular',
    'POST',
    '/api/workspaces/demo/charts',
    withDescription('1.0.1', 'y'.repeat(4 * 1024 * 1024)),
    { 'content-type': 'application/gzip' },
  );
  t.equal(res.statusCode, 400, 'a 4 MiB description, on the ChartMuseum route');
  t.match(res.json().error, /description is 4194304 characters long; at most 10000/);
  t.same(await countRowsAndBlobs(app), before, 'refused uploads leave nothing behind');

  const longest = '€'.repeat(APP_INFO_LIMITS.description); // characters, not bytes
  res = await f.upload('wsregular', withDescription('1.0.2', longest));
  t.equal(res.statusCode, 201, res.body.slice(0, 200));
  t.equal(res.json().app.description, longest, 'the longest allowed description becomes app info');
});
