// requires: corpus
// Every real chart in ../shared/corpus uploads with 201, and its index entry carries
// the right name, version, appVersion, dependencies and the manifest's sha256. Where
// the corpus has the chart's upstream index, the entry matches it field for field.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminAuth, createWorkspace, testApp } from './helpers/app.js';
import { corpusDir, engines, stores, type Engine, type Store } from './helpers/env.js';

type Entry = Record<string, unknown> & { name: string; version: string; digest: string };
const dir = corpusDir();
const manifest = fs
  .readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));
const charts = manifest
  .filter((r) => r[0]?.startsWith('charts/'))
  .map((r) => ({ file: r[0] as string, sha: r[5] as string }));

// Upstream entries for charts whose digests the corpus indexes list.
const upstream = new Map<string, Entry>();
for (const repo of fs.readdirSync(path.join(dir, 'indexes'))) {
  const idx = yaml.load(fs.readFileSync(path.join(dir, 'indexes', repo, 'index.yaml'), 'utf8')) as {
    entries: Record<string, Entry[]>;
  };
  for (const list of Object.values(idx.entries)) for (const e of list) upstream.set(e.digest, e);
}

const setups: Array<{ engine: Engine; store: Store }> = [{ engine: 'pglite', store: 'disk' }];
if (engines().includes('postgres') && stores().includes('s3')) setups.push({ engine: 'postgres', store: 's3' });

for (const setup of setups) {
  t.test(`${setup.engine}+${setup.store}: every corpus chart`, async (t) => {
    const { app } = await testApp(t, setup);
    const ws = await createWorkspace(app, 'corpus');
    for (const c of charts) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/workspaces/${ws}/charts`,
        headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
        payload: fs.readFileSync(path.join(dir, c.file)),
      });
      t.equal(res.statusCode, 201, `${c.file}: ${res.body}`);
    }
    const res = await app.inject({ url: `/workspaces/${ws}/index.yaml`, headers: { authorization: adminAuth } });
    const index = yaml.load(res.body) as { entries: Record<string, Entry[]> };
    const all = Object.values(index.entries).flat();
    t.equal(all.length, charts.length, 'one entry per chart');
    t.same(
      index.entries['argo-cd']?.map((e) => e.version),
      ['3.2.5', '2.2.16', '2.2.4'],
      'SemVer order, 2.2.16 above 2.2.4',
    );
    t.same(
      index.entries.sentry?.map((e) => e.version),
      ['25.19.0', '0.10.0', '0.9.3'],
    );

    let compared = 0;
    for (const c of charts) {
      const [, name, version] = /^charts\/(.+)-(\d+\.\d+\.\d+)\.tgz$/.exec(c.file) ?? [];
      const e = index.entries[name as string]?.find((x) => x.version === version);
      t.ok(e, `${c.file} is in the index`);
      if (!e) continue;
      t.equal(e.digest, c.sha, `${c.file} digest is the manifest sha256`);
      t.same(e.urls, [`charts/${name}-${version}.tgz`]);
      const up = upstream.get(c.sha);
      if (up) {
        compared++;
        for (const field of [
          'name',
          'version',
          'appVersion',
          'apiVersion',
          'dependencies',
          'description',
          'home',
          'icon',
          'keywords',
          'maintainers',
          'sources',
          'type',
          'annotations',
          'kubeVersion',
        ]) {
          t.same(e[field], up[field], `${c.file}: ${field} matches the upstream index`);
        }
      }
    }
    t.ok(compared >= 5, `compared ${compared} entries field by field with upstream indexes`);

    // A few facts the manifest states, checked directly.
    const redis = index.entries.redis?.find((e) => e.version === '17.11.6');
    t.match(redis, { appVersion: '7.0.11', apiVersion: 'v2', dependencies: [{ name: 'common' }] });
    t.equal(index.entries.common?.[0]?.type, 'library');
    t.same(
      (index.entries['argo-cd']?.find((e) => e.version === '2.2.4')?.dependencies as Array<{ name: string }>).map(
        (d) => d.name,
      ),
      ['redis-ha'],
      'v1 chart dependencies come from requirements.yaml',
    );
  });
}
