// requires: helm
// Dogfood: Chartroom's own chart (deploy/chart/chartroom), packaged by real helm, goes
// through a running Chartroom's app store (upload into a workspace, category, submit,
// pass, release) and is rendered back from the store by helm 3 and 4: the store gives
// back the packaged bytes, and they render exactly what the chart directory renders.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminAuth, tempDir } from '../helpers/app.js';
import { repoRoot } from '../helpers/env.js';
import { helmBinaries, makeHelm, searchVersions } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';

const chartDir = path.join(repoRoot, 'deploy/chart/chartroom');
const WS = 'chartroom';

t.test('Chartroom serves its own chart through the store', async (t) => {
  const server = await startServer(t, await serverEnv(t, 'pglite', 'disk'));
  const work = await tempDir(t);
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const chart = yaml.load(await fs.readFile(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string };
  const version = chart.version;

  const [first, ...others] = helmBinaries();
  if (!first) throw new Error('no helm binary');
  const packager = await makeHelm(t, first.label, first.bin);
  t.match(await packager.run(['package', chartDir, '-d', work]), /Successfully packaged chart/);
  const file = `chartroom-${version}.tgz`;
  const packaged = await fs.readFile(path.join(work, file));

  // --- into the workspace, through review, into the store ---------------------------
  t.equal((await api('POST', '/api/v1/workspaces', { name: WS })).status, 201);
  const upload = await fetch(`${server.url}/api/workspaces/${WS}/charts`, {
    method: 'POST',
    headers: { authorization: adminAuth, 'content-type': 'application/octet-stream' },
    body: packaged,
  });
  t.equal(upload.status, 201, `uploaded with the ChartMuseum API: ${await upload.text()}`);
  const app = `/api/v1/workspaces/${WS}/apps/chartroom`;
  let res = await api('PATCH', app, { category: 'uncategorized' });
  t.equal(res.status, 200);
  t.match(res.json, { name: 'chartroom', category: { name: 'uncategorized' } });
  for (const [action, state] of [
    ['submit', 'submitted'],
    ['pass', 'passed'],
    ['release', 'active'],
  ] as const) {
    res = await api('POST', `${app}/versions/${version}/actions`, { action });
    t.equal(res.status, 200, res.status === 200 ? action : `${action}: ${JSON.stringify(res.json)}`);
    t.equal(res.json.state, state);
  }
  res = await api('GET', '/api/v1/store/apps/chartroom');
  t.equal(res.status, 200);
  t.match(res.json, {
    versions: [{ version }],
    readme: /Chartroom Helm chart/,
    values: /mode: embedded/,
  });

  // --- rendered back from the store by real helm ------------------------------------
  for (const { label, bin } of [first, ...others]) {
    const helm = await makeHelm(t, label, bin);
    await helm.run(['repo', 'add', 'store', `${server.url}/store`]);
    t.same(searchVersions(await helm.run(['search', 'repo', 'store/chartroom', '-l']), 'store/chartroom'), [version]);
    const pulled = path.join(work, `${label}-pull`);
    await fs.mkdir(pulled);
    await helm.run(['pull', 'store/chartroom', '--version', version, '-d', pulled]);
    t.same(await fs.readFile(path.join(pulled, file)), packaged, `${label} pulls the packaged bytes`);

    for (const values of ['embedded', 'external', 'ha']) {
      const args = ['-f', path.join(chartDir, 'ci', `${values}-values.yaml`)];
      const fromStore = yaml.loadAll(
        await helm.run(['template', 'r', 'store/chartroom', '--version', version, ...args]),
      );
      const local = yaml.loadAll(await helm.run(['template', 'r', chartDir, ...args]));
      const deployment = (docs: unknown[]) => docs.find((d) => (d as { kind?: string } | null)?.kind === 'Deployment');
      t.ok(deployment(fromStore), `${label} ${values}: the store's chart renders a Deployment`);
      t.same(
        deployment(fromStore),
        deployment(local),
        `${label} ${values}: the same Deployment as the chart directory`,
      );
      t.same(fromStore, local, `${label} ${values}: and the same objects throughout`);
    }
  }
});
