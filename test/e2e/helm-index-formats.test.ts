// requires: helm, corpus
// Both index forms (CHARTROOM_INDEX_FORMAT=json|yaml) with real helm 3 and helm 4,
// against Chartroom as a process: repo add, update, search, pull (byte for byte) and
// install --dry-run (helm 4; helm 3 needs a cluster for it, so it renders with template),
// on the workspace repository and the store.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminAuth, ADMIN_PASSWORD, tempDir } from '../helpers/app.js';
import { corpusDir } from '../helpers/env.js';
import { helmBinaries, makeHelm, searchVersions } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

for (const format of ['json', 'yaml'] as const) {
  t.test(`CHARTROOM_INDEX_FORMAT=${format}`, async (t) => {
    const env = { ...(await serverEnv(t, 'pglite', 'disk')), CHARTROOM_INDEX_FORMAT: format };
    const server = await startServer(t, env);
    const api = async (method: string, p: string, body?: unknown, type = 'application/json') => {
      const res = await fetch(`${server.url}${p}`, {
        method,
        headers: { authorization: adminAuth, 'content-type': type },
        body:
          body === undefined
            ? undefined
            : type === 'application/json'
              ? JSON.stringify(body)
              : new Uint8Array(body as Buffer),
      });
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res;
    };
    const ws = `forms-${format}`;
    await api('POST', '/api/v1/workspaces', { name: ws });
    const redis = await fs.readFile(path.join(corpusDir(), 'charts', 'redis-17.11.6.tgz'));
    await api('POST', `/api/workspaces/${ws}/charts`, redis, 'application/gzip');
    for (const version of ['0.1.0', '0.2.0']) {
      await api('POST', `/api/workspaces/${ws}/charts`, makeChart({ name: 'hello', version }), 'application/gzip');
    }
    // hello 0.2.0 goes to the store.
    const hello = `/api/v1/workspaces/${ws}/apps/hello`;
    await api('PATCH', hello, { category: 'uncategorized' });
    for (const action of ['submit', 'pass', 'release']) {
      await api('POST', `${hello}/versions/0.2.0/actions`, { action });
    }

    // The bytes are the form asked for.
    const raw = await (await api('GET', `/workspaces/${ws}/index.yaml`)).text();
    if (format === 'json') t.same(Object.keys(JSON.parse(raw)), ['apiVersion', 'entries', 'generated'], 'JSON');
    else t.match(raw, /^apiVersion: v1\nentries:\n/, 'YAML');
    t.same(
      Object.keys((yaml.load(raw) as { entries: object }).entries),
      ['hello', 'redis'],
      'either form reads as YAML',
    );

    const work = await tempDir(t);
    for (const { label, bin } of helmBinaries()) {
      t.test(label, async (t) => {
        const helm = await makeHelm(t, label, bin);
        const login = ['--username', 'admin', '--password', ADMIN_PASSWORD];
        await helm.run(['repo', 'add', 'drafts', `${server.url}/workspaces/${ws}`, ...login]);
        await helm.run(['repo', 'add', 'store', `${server.url}/store`]);
        await helm.run(['repo', 'update']);
        t.same(searchVersions(await helm.run(['search', 'repo', 'drafts/hello', '-l']), 'drafts/hello'), [
          '0.2.0',
          '0.1.0',
        ]);
        t.same(searchVersions(await helm.run(['search', 'repo', 'drafts/redis', '-l']), 'drafts/redis'), ['17.11.6']);
        t.same(searchVersions(await helm.run(['search', 'repo', 'store/', '-l']), 'store/hello'), ['0.2.0']);

        const pulled = path.join(work, label);
        await fs.mkdir(pulled, { recursive: true });
        await helm.run(['pull', 'drafts/redis', '--version', '17.11.6', '-d', pulled]);
        t.ok((await fs.readFile(path.join(pulled, 'redis-17.11.6.tgz'))).equals(redis), 'pulled byte for byte');
        await helm.run(['pull', 'store/hello', '-d', pulled]);
        t.ok((await fs.stat(path.join(pulled, 'hello-0.2.0.tgz'))).size > 0, 'pulled from the store');

        if (label === 'helm4') {
          t.match(
            await helm.run(['install', 'cache', 'drafts/redis', '--version', '17.11.6', '--dry-run=client']),
            /STATUS: pending-install/,
          );
          t.match(await helm.run(['install', 'hi', 'store/hello', '--dry-run=client']), /STATUS: pending-install/);
        } else {
          t.match(await helm.run(['template', 'cache', 'drafts/redis', '--version', '17.11.6']), /kind: StatefulSet/);
          t.match(await helm.run(['template', 'hi', 'store/hello']), /kind:/);
        }

        // A new chart is seen by the next update (the index moved incrementally).
        const late = `late-${label}`;
        await api(
          'POST',
          `/api/workspaces/${ws}/charts`,
          makeChart({ name: late, version: '1.0.0' }),
          'application/gzip',
        );
        await helm.run(['repo', 'update']);
        t.same(searchVersions(await helm.run(['search', 'repo', `drafts/${late}`, '-l']), `drafts/${late}`), ['1.0.0']);
      });
    }
  });
}
