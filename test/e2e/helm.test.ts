// requires: helm, postgres, s3, corpus
// Real helm (v3 and v4) and helm cm-push against Chartroom running as a real
// process, on the embedded set-up (PGlite + disk) and the production one
// (Postgres + MinIO).
import t from 'tap';
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminAuth, ADMIN_PASSWORD, tempDir } from '../helpers/app.js';
import { corpusDir, engines, stores, type Engine, type Store } from '../helpers/env.js';
import { helmBinaries, makeHelm, searchVersions } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

const setups: Array<{ engine: Engine; store: Store }> = [{ engine: 'pglite', store: 'disk' }];
if (engines().includes('postgres') && stores().includes('s3')) setups.push({ engine: 'postgres', store: 's3' });

for (const setup of setups) {
  t.test(`${setup.engine}+${setup.store}`, async (t) => {
    const server = await startServer(t, await serverEnv(t, setup.engine, setup.store));
    const work = await tempDir(t);
    const corpus = path.join(corpusDir(), 'charts');
    const api = (p: string, init: RequestInit = {}) =>
      fetch(`${server.url}${p}`, {
        ...init,
        headers: { authorization: adminAuth, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });

    for (const { label, bin } of helmBinaries()) {
      t.test(label, async (t) => {
        const ws = `e2e-${label}`;
        t.equal((await api('/api/v1/workspaces', { method: 'POST', body: JSON.stringify({ name: ws }) })).status, 201);
        const helm = await makeHelm(t, label, bin);
        const repoUrl = `${server.url}/workspaces/${ws}`;

        const bad = await helm.attempt([
          'repo',
          'add',
          'wrong',
          repoUrl,
          '--username',
          'admin',
          '--password',
          'not-the-password',
        ]);
        t.not(bad.code, 0, 'helm repo add with a wrong password fails');
        t.match(bad.stderr, /401|Unauthorized/i);

        await helm.run(['repo', 'add', 'drafts', repoUrl, '--username', 'admin', '--password', ADMIN_PASSWORD]);
        t.match(await helm.run(['plugin', 'list']), /cm-push/);

        // helm cm-push re-packages what it is given (so its bytes differ from the file);
        // the REST upload stores the file as it is, which the byte-for-byte pull checks.
        await helm.run(['cm-push', path.join(corpus, 'redis-17.14.6.tgz'), 'drafts']);
        const original = await fs.readFile(path.join(corpus, 'redis-17.11.6.tgz'));
        const raw = await api(`/api/workspaces/${ws}/charts`, {
          method: 'POST',
          body: original,
          headers: { 'content-type': 'application/gzip' },
        });
        t.equal(raw.status, 201);
        const own = path.join(work, `hello-${label}-0.2.0.tgz`);
        await fs.writeFile(
          own,
          makeChart({ name: `hello-${label}`, version: '0.2.0', readme: '# Hello\nA chart made by the test.\n' }),
        );
        await helm.run(['cm-push', own, 'drafts']);
        // pushing the same version again is refused, as ChartMuseum does; --force replaces the draft
        const again = await helm.attempt(['cm-push', own, 'drafts']);
        t.not(again.code, 0);
        t.match(again.stdout + again.stderr, /409|already exists/);
        await helm.run(['cm-push', own, 'drafts', '--force']);

        await helm.run(['repo', 'update']);
        const search = await helm.run(['search', 'repo', 'drafts/', '-l']);
        t.same(searchVersions(search, 'drafts/redis'), ['17.14.6', '17.11.6'], 'newest first');
        t.same(searchVersions(search, `drafts/hello-${label}`), ['0.2.0']);

        const pulled = path.join(work, `pulled-${label}`);
        await fs.mkdir(pulled);
        await helm.run(['pull', 'drafts/redis', '--version', '17.11.6', '-d', pulled]);
        t.same(
          await fs.readFile(path.join(pulled, 'redis-17.11.6.tgz')),
          original,
          'pulled bytes are identical to the pushed ones',
        );
        await helm.run(['pull', 'drafts/redis', '--version', '17.14.6', '-d', pulled]);
        const index = yaml.load(await (await api(`/workspaces/${ws}/index.yaml`)).text()) as {
          entries: Record<string, Array<{ version: string; digest: string }>>;
        };
        const digest = index.entries.redis?.find((e) => e.version === '17.14.6')?.digest;
        t.equal(
          createHash('sha256')
            .update(await fs.readFile(path.join(pulled, 'redis-17.14.6.tgz')))
            .digest('hex'),
          digest,
          'the cm-pushed package comes back with the digest the index lists',
        );

        const chart = yaml.load(await helm.run(['show', 'chart', 'drafts/redis', '--version', '17.11.6'])) as Record<
          string,
          unknown
        >;
        t.match(chart, { name: 'redis', version: '17.11.6', appVersion: '7.0.11', apiVersion: 'v2' });
        t.match(
          await helm.run(['show', 'values', 'drafts/redis', '--version', '17.14.6']),
          /architecture: replication/,
        );
        t.match(await helm.run(['show', 'readme', 'drafts/redis', '--version', '17.11.6']), /Redis/);
        t.match(await helm.run(['show', 'readme', `drafts/hello-${label}`]), /A chart made by the test/);

        const rendered = await helm.run(['template', 'cache', path.join(pulled, 'redis-17.11.6.tgz')]);
        t.match(rendered, /kind: StatefulSet/);
        t.match(rendered, /name: cache-redis-master/);
        const own2 = await helm.run(['template', 'rel', `drafts/hello-${label}`, '--set', 'replicaCount=3']);
        t.match(own2, /name: rel-cm/);
        t.match(own2, /replicas: "3"/);
      });
    }
  });
}
