// The first step of the app-store walk-through (spec section 2, issue 3): the admin
// creates the role app-review, users isv and reviewer, the workspace demo-workspace,
// invites both as workspace-admin; each signs in and sees what the role allows.
import t from 'tap';
import { adminAuth, basic, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';

for (const engine of engines()) {
  t.test(`${engine}: accounts for the app-store walk-through`, async (t) => {
    const { app } = await testApp(t, { engine });
    const as =
      (auth: string) =>
      (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
        app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: auth, ...headers },
          ...(payload === undefined ? {} : { payload: payload as string }),
        });
    const admin = as(adminAuth);

    let res = await admin('POST', '/api/v1/roles', {
      name: 'app-review',
      description: 'App Template viewing and management',
      permissions: ['app-templates.view', 'app-templates.manage'],
    });
    t.equal(res.statusCode, 201);
    t.equal(
      (
        await admin('POST', '/api/v1/users', {
          username: 'isv',
          password: 'isv-password',
          role: 'platform-regular',
          displayName: 'An ISV',
        })
      ).statusCode,
      201,
    );
    t.equal(
      (
        await admin('POST', '/api/v1/users', {
          username: 'reviewer',
          password: 'reviewer-password',
          role: 'app-review',
        })
      ).statusCode,
      201,
    );
    t.equal(
      (await admin('POST', '/api/v1/workspaces', { name: 'demo-workspace', displayName: 'Demo workspace' })).statusCode,
      201,
    );
    t.equal(
      (await admin('PUT', '/api/v1/workspaces/demo-workspace/members/isv', { role: 'workspace-admin' })).statusCode,
      201,
    );
    t.equal(
      (await admin('PUT', '/api/v1/workspaces/demo-workspace/members/reviewer', { role: 'workspace-admin' }))
        .statusCode,
      201,
    );

    const isv = as(basic('isv', 'isv-password'));
    const reviewer = as(basic('reviewer', 'reviewer-password'));

    res = await isv('GET', '/api/v1/me');
    t.match(res.json(), {
      username: 'isv',
      role: 'platform-regular',
      permissions: [],
      workspaces: [{ name: 'demo-workspace', role: 'workspace-admin' }],
    });
    res = await reviewer('GET', '/api/v1/me');
    t.match(res.json(), {
      username: 'reviewer',
      role: 'app-review',
      permissions: ['app-templates.manage', 'app-templates.view'],
      workspaces: [{ name: 'demo-workspace', role: 'workspace-admin' }],
    });

    // the ISV uploads into the workspace, manages its members, but not the platform
    t.equal(
      (
        await isv('POST', '/api/workspaces/demo-workspace/charts', makeChart({ name: 'redis-like' }), {
          'content-type': 'application/gzip',
        })
      ).statusCode,
      201,
    );
    t.equal((await isv('GET', '/api/v1/workspaces/demo-workspace/members')).json().items.length, 2);
    t.equal((await isv('GET', '/api/v1/users')).statusCode, 403);
    t.equal((await isv('POST', '/api/v1/roles', { name: 'sneaky', permissions: ['users.manage'] })).statusCode, 403);
    t.equal((await isv('POST', '/api/v1/workspaces', { name: 'another' })).statusCode, 403);
    // the reviewer reads every workspace's apps, but manages no users or roles
    t.match((await reviewer('GET', '/workspaces/demo-workspace/index.yaml')).body, /redis-like/);
    t.equal((await reviewer('GET', '/api/v1/users')).statusCode, 403);
    t.equal((await reviewer('POST', '/api/v1/roles', { name: 'x', permissions: [] })).statusCode, 403);
    // the admin sees everything
    t.same(
      (await admin('GET', '/api/v1/users')).json().items.map((u: { username: string }) => u.username),
      ['admin', 'isv', 'reviewer'],
    );
  });
}
