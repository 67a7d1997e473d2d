// requires: helm
// Real helm with real credentials: passwords and tokens for `helm repo add`,
// `--username/--password` and `--access-token` for `helm cm-push`; a viewer can pull
// but not push; a wrong password makes `helm repo add` fail.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminAuth, tempDir } from '../helpers/app.js';
import { helmBinaries, makeHelm, searchVersions } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

t.test('helm with passwords and tokens', async (t) => {
  const server = await startServer(t, await serverEnv(t, 'pglite', 'disk'));
  const work = await tempDir(t);
  const call = async (auth: string, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  const basicAuth = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  await call(adminAuth, 'POST', '/api/v1/workspaces', { name: 'creds' });
  for (const [user, role] of [
    ['isv', 'workspace-regular'],
    ['watcher', 'workspace-viewer'],
  ] as const) {
    await call(adminAuth, 'POST', '/api/v1/users', {
      username: user,
      password: `${user}-password`,
      role: 'platform-regular',
    });
    await call(adminAuth, 'PUT', `/api/v1/workspaces/creds/members/${user}`, { role });
  }
  const isvToken = (
    (await call(basicAuth('isv', 'isv-password'), 'POST', '/api/v1/me/tokens', { name: 'helm' })) as { token: string }
  ).token;
  const watcherToken = (
    (await call(basicAuth('watcher', 'watcher-password'), 'POST', '/api/v1/me/tokens', { name: 'helm' })) as {
      token: string;
    }
  ).token;
  const repo = `${server.url}/workspaces/creds`;

  for (const { label, bin } of helmBinaries()) {
    t.test(label, async (t) => {
      const helm = await makeHelm(t, label, bin);
      const chart = (version: string) => {
        const file = path.join(work, `cred-${label}-${version}.tgz`);
        return fs.writeFile(file, makeChart({ name: `cred-${label}`, version })).then(() => file);
      };

      const bad = await helm.attempt(['repo', 'add', 'bad', repo, '--username', 'isv', '--password', 'wrong-password']);
      t.not(bad.code, 0, 'a wrong password makes helm repo add fail');
      const outsider = await helm.attempt(['repo', 'add', 'anon', repo]);
      t.not(outsider.code, 0, 'no credentials: helm repo add fails');

      // password for the repo, --username/--password for cm-push
      await helm.run(['repo', 'add', 'by-password', repo, '--username', 'isv', '--password', 'isv-password']);
      await helm.run([
        'cm-push',
        await chart('1.0.0'),
        'by-password',
        '--username',
        'isv',
        '--password',
        'isv-password',
      ]);
      // a token as the repo password, --access-token (Bearer) for cm-push
      await helm.run(['repo', 'add', 'by-token', repo, '--username', 'isv', '--password', isvToken]);
      await helm.run(['cm-push', await chart('1.1.0'), 'by-token', '--access-token', isvToken]);
      await helm.run(['repo', 'update']);
      t.same(
        searchVersions(await helm.run(['search', 'repo', `by-token/cred-${label}`, '-l']), `by-token/cred-${label}`),
        ['1.1.0', '1.0.0'],
      );

      // the viewer pulls with a token, but cannot push
      await helm.run(['repo', 'add', 'viewer', repo, '--username', 'watcher', '--password', watcherToken]);
      const pulled = path.join(work, `viewer-${label}`);
      await fs.mkdir(pulled);
      await helm.run(['pull', `viewer/cred-${label}`, '--version', '1.0.0', '-d', pulled]);
      // cm-push re-packages, so compare with what the server holds rather than the local file
      const held = await fetch(`${repo}/charts/cred-${label}-1.0.0.tgz`, { headers: { authorization: adminAuth } });
      t.same(
        await fs.readFile(path.join(pulled, `cred-${label}-1.0.0.tgz`)),
        Buffer.from(await held.arrayBuffer()),
        'the viewer pulled what the server holds',
      );
      const push = await helm.attempt(['cm-push', await chart('2.0.0'), 'viewer']);
      t.not(push.code, 0, 'a viewer cannot push');
      t.match(push.stdout + push.stderr, /403|workspace-regular/);
      const pushToken = await helm.attempt(['cm-push', await chart('2.0.0'), 'viewer', '--access-token', watcherToken]);
      t.not(pushToken.code, 0, 'nor with a token');
    });
  }
});
