// The authorization matrix: every served route, run as each persona. The status each
// persona must get is computed from the rule the route declares (config.access) and,
// for version actions, from the state machine's table, so the rules are tested as
// declared rather than copied here. A route added later without a row fails the test.
import t from 'tap';
import { adminAuth, basic, createWorkspace, multipart, testApp } from '../helpers/app.js';
import { MEMBER_ROLE, People, PERSONAS, type Persona } from '../helpers/personas.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';
import { png } from '../helpers/images.js';
import { sha256Hex } from '../../src/blobs/index.js';
import type { Access } from '../../src/http/access.js';
import {
  PERMISSIONS,
  workspaceRoleAtLeast,
  type Permission,
  type WorkspaceRole,
} from '../../src/accounts/permissions.js';
import { actorsFor, effectiveWorkspaceRole, type Principal } from '../../src/accounts/principal.js';
import { TRANSITIONS, type VersionAction } from '../../src/lifecycle/state-machine.js';

interface Row {
  route: string; // "METHOD /template" as Fastify declares it
  url: (p: Persona, i: number) => string;
  body?: (p: Persona, i: number) => { payload: unknown; headers?: Record<string, string> };
  /** The status when the route's declared rule lets the persona through. */
  ok: number;
  /** A version action: the state machine's table says who may take it. */
  lifecycle?: VersionAction;
  /** Where the handler refuses more than the declared rule (a body-dependent rule). */
  handler?: Partial<Record<Persona, number>>;
}

// The personas as the fixture makes them (test/helpers/personas.ts): their platform
// permissions and their role in workspace `demo`.
const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];
const HELD: Record<Persona, readonly Permission[]> = {
  anonymous: [],
  regular: [],
  viewer: [],
  wsregular: [],
  wsadmin: [],
  reviewer: ['app-templates.view', 'app-templates.manage'],
  admin: ALL_PERMISSIONS,
};

function standing(p: Persona): Principal | null {
  if (p === 'anonymous') return null;
  return {
    userId: 0,
    username: p,
    role: '',
    permissions: new Set(HELD[p]),
    expiresAt: null,
    via: 'password',
  } as Principal;
}

/** What the declared rule (and, for version actions, the state machine) answers the persona. */
function expected(rule: Access | undefined, p: Persona, row: Row): number {
  if (!rule) throw new Error(`${row.route} declares no access rule`);
  const who = standing(p);
  const holds = (perm: Permission | undefined) => perm !== undefined && who !== null && who.permissions.has(perm);
  if (rule.kind === 'public' || rule.kind === 'store') return row.ok;
  if (!who) return 401;
  let status = row.ok;
  if (rule.kind === 'permission' && !holds(rule.permission)) status = 403; // rows never target the caller themself
  if (rule.kind === 'workspace') {
    const role = effectiveWorkspaceRole(who, (MEMBER_ROLE[p] ?? null) as WorkspaceRole | null);
    if (!role) return 404;
    if (!workspaceRoleAtLeast(role, rule.role) && !holds(rule.orPermission)) status = 403;
    else if (rule.andPermission && !holds(rule.andPermission)) status = 403;
    else if (row.lifecycle && !TRANSITIONS[row.lifecycle].actors.some((a) => actorsFor(who, role).has(a))) status = 403;
  }
  return status === row.ok ? (row.handler?.[p] ?? status) : status;
}

const appsBase = '/api/v1/workspaces/demo/apps';
const reposBase = '/api/v1/workspaces/demo/repos';
// Imports are refused at once here (a loopback upstream, private addresses not allowed): syncs end fast.
const UPSTREAM = 'http://127.0.0.1:9/';
const versionBase = `${appsBase}/demo/versions`;

const prov = (version: string, digest: string) =>
  Buffer.from(
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${chartYamlFor('demo', version)}\n...\nfiles:\n  demo-${version}.tgz: sha256:${digest}\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n`,
  );
const provChart = (i: number) => makeChart({ version: `0.3.${i}` });
const json = (payload: unknown) => ({ payload, headers: { 'content-type': 'application/json' } });

const rows: Row[] = [
  { route: 'GET /healthz', url: () => '/healthz', ok: 200 },
  { route: 'GET /readyz', url: () => '/readyz', ok: 200 },
  { route: 'GET /metrics', url: () => '/metrics', ok: 200 },
  { route: 'GET /workspaces/:ws/index.yaml', url: () => '/workspaces/demo/index.yaml', ok: 200 },
  { route: 'GET /workspaces/:ws/charts/:file', url: () => '/workspaces/demo/charts/demo-0.1.0.tgz', ok: 200 },
  {
    route: 'POST /api/workspaces/:ws/charts',
    url: () => '/api/workspaces/demo/charts',
    body: (_p, i) => ({ payload: makeChart({ version: `1.0.${i}` }), headers: { 'content-type': 'application/gzip' } }),
    ok: 201,
  },
  {
    route: 'POST /api/workspaces/:ws/prov',
    url: () => '/api/workspaces/demo/prov',
    body: (_p, i) => ({
      payload: prov(`0.3.${i}`, sha256Hex(provChart(i))),
      headers: { 'content-type': 'application/octet-stream' },
    }),
    ok: 201,
  },
  { route: 'GET /api/workspaces/:ws/charts', url: () => '/api/workspaces/demo/charts', ok: 200 },
  { route: 'GET /api/workspaces/:ws/charts/:name', url: () => '/api/workspaces/demo/charts/demo', ok: 200 },
  {
    route: 'GET /api/workspaces/:ws/charts/:name/:version',
    url: () => '/api/workspaces/demo/charts/demo/0.1.0',
    ok: 200,
  },
  {
    route: 'DELETE /api/workspaces/:ws/charts/:name/:version',
    url: (_p, i) => `/api/workspaces/demo/charts/demo/0.2.${i}`,
    ok: 200,
  },
  { route: 'GET /api/v1/me', url: () => '/api/v1/me', ok: 200 },
  { route: 'GET /api/v1/me/tokens', url: () => '/api/v1/me/tokens', ok: 200 },
  { route: 'POST /api/v1/me/tokens', url: () => '/api/v1/me/tokens', body: () => json({ name: 'ci' }), ok: 201 },
  { route: 'DELETE /api/v1/me/tokens/:id', url: (p) => `/api/v1/me/tokens/${tokenIds.get(p) ?? 999999}`, ok: 204 },
  { route: 'GET /api/v1/permissions', url: () => '/api/v1/permissions', ok: 200 },
  { route: 'GET /api/v1/users', url: () => '/api/v1/users', ok: 200 },
  {
    route: 'POST /api/v1/users',
    url: () => '/api/v1/users',
    body: (p) => json({ username: `new-${p}`, password: 'a-long-password', role: 'platform-regular' }),
    ok: 201,
  },
  { route: 'GET /api/v1/users/:username', url: () => '/api/v1/users/bystander', ok: 200 },
  {
    route: 'PATCH /api/v1/users/:username',
    url: () => '/api/v1/users/bystander',
    body: () => json({ displayName: 'Changed' }),
    ok: 200,
  },
  { route: 'DELETE /api/v1/users/:username', url: (p) => `/api/v1/users/doomed-${p}`, ok: 204 },
  { route: 'GET /api/v1/roles', url: () => '/api/v1/roles', ok: 200 },
  {
    route: 'POST /api/v1/roles',
    url: () => '/api/v1/roles',
    body: (p) => json({ name: `role-${p}`, permissions: ['app-templates.view'] }),
    ok: 201,
  },
  { route: 'GET /api/v1/roles/:role', url: () => '/api/v1/roles/app-review', ok: 200 },
  {
    route: 'PATCH /api/v1/roles/:role',
    url: () => '/api/v1/roles/spare',
    body: () => json({ description: 'changed' }),
    ok: 200,
  },
  { route: 'DELETE /api/v1/roles/:role', url: (p) => `/api/v1/roles/doomed-${p}`, ok: 204 },
  { route: 'GET /api/v1/workspaces', url: () => '/api/v1/workspaces', ok: 200 },
  {
    route: 'POST /api/v1/workspaces',
    url: () => '/api/v1/workspaces',
    body: (p) => json({ name: `made-by-${p}` }),
    ok: 201,
  },
  { route: 'GET /api/v1/workspaces/:ws', url: () => '/api/v1/workspaces/demo', ok: 200 },
  {
    route: 'PATCH /api/v1/workspaces/:ws',
    url: () => '/api/v1/workspaces/demo',
    body: () => json({ displayName: 'Demo' }),
    ok: 200,
  },
  { route: 'DELETE /api/v1/workspaces/:ws', url: (p) => `/api/v1/workspaces/empty-${p}`, ok: 204 },
  { route: 'GET /api/v1/workspaces/:ws/members', url: () => '/api/v1/workspaces/demo/members', ok: 200 },
  {
    route: 'PUT /api/v1/workspaces/:ws/members/:username',
    url: (p) => `/api/v1/workspaces/demo/members/bystander-${p}`,
    body: () => json({ role: 'workspace-viewer' }),
    ok: 201,
  },
  {
    route: 'DELETE /api/v1/workspaces/:ws/members/:username',
    url: (p) => `/api/v1/workspaces/demo/members/member-${p}`,
    ok: 204,
  },
  { route: 'GET /api/v1/workspaces/:ws/repos', url: () => reposBase, ok: 200 },
  {
    route: 'POST /api/v1/workspaces/:ws/repos',
    url: () => reposBase,
    body: (p) => json({ name: `made-by-${p}`, url: UPSTREAM }),
    ok: 201,
  },
  { route: 'GET /api/v1/workspaces/:ws/repos/:repo', url: () => `${reposBase}/fixture`, ok: 200 },
  {
    route: 'PATCH /api/v1/workspaces/:ws/repos/:repo',
    url: () => `${reposBase}/fixture`,
    body: () => json({ syncInterval: 600 }),
    ok: 200,
  },
  { route: 'DELETE /api/v1/workspaces/:ws/repos/:repo', url: (p) => `${reposBase}/doomed-${p}`, ok: 204 },
  { route: 'POST /api/v1/workspaces/:ws/repos/:repo/sync', url: () => `${reposBase}/fixture/sync`, ok: 202 },
  { route: 'GET /api/v1/workspaces/:ws/repos/:repo/events', url: () => `${reposBase}/fixture/events`, ok: 200 },
  { route: 'GET /api/v1/workspaces/:ws/apps', url: () => appsBase, ok: 200 },
  {
    route: 'POST /api/v1/workspaces/:ws/apps',
    url: () => appsBase,
    body: (_p, i) => multipart({ chart: { filename: 'c.tgz', data: makeChart({ version: `4.0.${i}` }) } }),
    ok: 201,
  },
  { route: 'GET /api/v1/workspaces/:ws/apps/:app', url: () => `${appsBase}/demo`, ok: 200 },
  {
    route: 'PATCH /api/v1/workspaces/:ws/apps/:app',
    url: () => `${appsBase}/demo`,
    body: () => json({ description: 'changed' }),
    ok: 200,
    handler: { reviewer: 403 } /* reviewers may change only the category */,
  },
  { route: 'DELETE /api/v1/workspaces/:ws/apps/:app', url: (_p, i) => `${appsBase}/gone-${i}`, ok: 204 },
  { route: 'GET /api/v1/workspaces/:ws/apps/:app/icon', url: () => `${appsBase}/demo/icon`, ok: 200 },
  {
    route: 'PUT /api/v1/workspaces/:ws/apps/:app/icon',
    url: () => `${appsBase}/demo/icon`,
    body: () => ({ payload: png(16, 16), headers: { 'content-type': 'image/png' } }),
    ok: 200,
  },
  {
    route: 'POST /api/v1/workspaces/:ws/apps/:app/actions',
    url: (_p, i) => `${appsBase}/susp-${i}/actions`,
    body: () => json({ action: 'suspend' }),
    ok: 200,
  },
  { route: 'GET /api/v1/workspaces/:ws/apps/:app/events', url: () => `${appsBase}/demo/events`, ok: 200 },
  { route: 'GET /api/v1/workspaces/:ws/apps/:app/versions', url: () => versionBase, ok: 200 },
  {
    route: 'POST /api/v1/workspaces/:ws/apps/:app/versions',
    url: () => versionBase,
    body: (_p, i) => multipart({ chart: { filename: 'c.tgz', data: makeChart({ version: `4.1.${i}` }) } }),
    ok: 201,
  },
  { route: 'GET /api/v1/workspaces/:ws/apps/:app/versions/:version', url: () => `${versionBase}/0.1.0`, ok: 200 },
  {
    route: 'DELETE /api/v1/workspaces/:ws/apps/:app/versions/:version',
    url: (_p, i) => `${versionBase}/0.4.${i}`,
    ok: 204,
  },
  {
    route: 'GET /api/v1/workspaces/:ws/apps/:app/versions/:version/package',
    url: () => `${versionBase}/0.1.0/package`,
    ok: 200,
  },
  {
    route: 'PUT /api/v1/workspaces/:ws/apps/:app/versions/:version/package',
    url: (_p, i) => `${versionBase}/0.5.${i}/package`,
    body: (_p, i) => ({
      payload: makeChart({ version: `0.5.${i}`, readme: 'new\n' }),
      headers: { 'content-type': 'application/gzip' },
    }),
    ok: 200,
  },
  {
    route: 'POST /api/v1/workspaces/:ws/apps/:app/versions/:version/actions',
    url: (_p, i) => `${versionBase}/0.6.${i}/actions`,
    body: () => json({ action: 'submit' }),
    ok: 200,
    lifecycle: 'submit',
  },
  {
    route: 'GET /api/v1/workspaces/:ws/apps/:app/versions/:version/events',
    url: () => `${versionBase}/0.1.0/events`,
    ok: 200,
  },
  {
    route: 'GET /api/v1/workspaces/:ws/apps/:app/versions/:version/files/:name',
    url: () => `${versionBase}/0.1.0/files/Chart.yaml`,
    ok: 200,
  },
  {
    route: 'POST /api/v1/workspaces/:ws/apps/:app/versions/:version/values/validate',
    url: () => `${versionBase}/0.1.0/values/validate`,
    body: () => ({ payload: 'replicaCount: 2\n', headers: { 'content-type': 'application/yaml' } }),
    ok: 200,
  },
  { route: 'GET /api/v1/reviews', url: () => '/api/v1/reviews', ok: 200 },
  { route: 'GET /api/v1/categories', url: () => '/api/v1/categories', ok: 200 },
  {
    route: 'POST /api/v1/categories',
    url: () => '/api/v1/categories',
    body: (p) => json({ name: `cat-${p}` }),
    ok: 201,
  },
  { route: 'GET /api/v1/categories/:id', url: () => '/api/v1/categories/uncategorized', ok: 200 },
  {
    route: 'PATCH /api/v1/categories/:id',
    url: () => '/api/v1/categories/spare-cat',
    body: () => json({ description: 'changed' }),
    ok: 200,
  },
  { route: 'DELETE /api/v1/categories/:id', url: (p) => `/api/v1/categories/doomed-cat-${p}`, ok: 204 },
  { route: 'GET /api/v1/categories/:id/icon', url: () => '/api/v1/categories/spare-cat/icon', ok: 200 },
  {
    route: 'PUT /api/v1/categories/:id/icon',
    url: () => '/api/v1/categories/spare-cat/icon',
    body: () => ({ payload: png(8, 8), headers: { 'content-type': 'image/png' } }),
    ok: 200,
  },
  { route: 'GET /api/v1/store/apps', url: () => '/api/v1/store/apps', ok: 200 },
  { route: 'GET /api/v1/store/apps/:name', url: () => '/api/v1/store/apps/shop', ok: 200 },
  { route: 'GET /api/v1/store/apps/:name/icon', url: () => '/api/v1/store/apps/shop/icon', ok: 200 },
  { route: 'GET /store/index.yaml', url: () => '/store/index.yaml', ok: 200 },
  { route: 'GET /store/charts/:file', url: () => '/store/charts/shop-1.0.0.tgz', ok: 200 },
  // The OCI registry: workspace repositories as the Helm repository, store/ as the store.
  { route: 'GET /v2/', url: () => '/v2/', ok: 200 },
  { route: 'GET /v2/workspaces/:ws/:name/tags/list', url: () => '/v2/workspaces/demo/demo/tags/list', ok: 200 },
  {
    route: 'GET /v2/workspaces/:ws/:name/manifests/:reference',
    url: () => '/v2/workspaces/demo/demo/manifests/0.1.0',
    ok: 200,
  },
  {
    route: 'PUT /v2/workspaces/:ws/:name/manifests/:reference',
    url: () => '/v2/workspaces/demo/demo/manifests/0.9.0',
    body: () => ({
      payload: JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 2 },
        layers: [],
      }),
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    }),
    ok: 400, // MANIFEST_BLOB_UNKNOWN: nothing was pushed
  },
  {
    route: 'DELETE /v2/workspaces/:ws/:name/manifests/:reference',
    url: () => '/v2/workspaces/demo/demo/manifests/9.9.9',
    ok: 404,
  },
  {
    route: 'GET /v2/workspaces/:ws/:name/blobs/:digest',
    url: () => `/v2/workspaces/demo/demo/blobs/sha256:${sha256Hex(makeChart())}`,
    ok: 200,
  },
  {
    route: 'GET /v2/workspaces/:ws/:name/referrers/:digest',
    url: () => `/v2/workspaces/demo/demo/referrers/sha256:${'0'.repeat(64)}`,
    ok: 200,
  },
  {
    route: 'POST /v2/workspaces/:ws/:name/blobs/uploads/',
    url: () => '/v2/workspaces/demo/demo/blobs/uploads/',
    ok: 202,
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map((method) => ({
    route: `${method} /v2/workspaces/:ws/:name/blobs/uploads/:uuid`,
    url: () => '/v2/workspaces/demo/demo/blobs/uploads/00000000-0000-4000-8000-000000000000',
    ok: 404, // BLOB_UPLOAD_UNKNOWN
  })),
  {
    route: 'PUT /v2/workspaces/:ws/:name/blobs/uploads/:uuid',
    url: () =>
      `/v2/workspaces/demo/demo/blobs/uploads/00000000-0000-4000-8000-000000000000?digest=sha256:${'0'.repeat(64)}`,
    ok: 404,
  },
  { route: 'GET /v2/store/:name/tags/list', url: () => '/v2/store/shop/tags/list', ok: 200 },
  { route: 'GET /v2/store/:name/manifests/:reference', url: () => '/v2/store/shop/manifests/1.0.0', ok: 200 },
  {
    route: 'GET /v2/store/:name/blobs/:digest',
    url: () => `/v2/store/shop/blobs/sha256:${sha256Hex(makeChart({ name: 'shop', version: '1.0.0' }))}`,
    ok: 200,
  },
  {
    route: 'GET /v2/store/:name/referrers/:digest',
    url: () => `/v2/store/shop/referrers/sha256:${'0'.repeat(64)}`,
    ok: 200,
  },
  { route: 'GET /openapi.json', url: () => '/openapi.json', ok: 200 },
  { route: 'GET /docs', url: () => '/docs', ok: 200 },
  // The console: testApp builds no console, so its page and an asset are 404, to everyone.
  { route: 'GET /', url: () => '/', ok: 404 },
  { route: 'GET /assets/:file', url: () => '/assets/index-0.js', ok: 404 },
  // Signing in is open to all (the body's credentials decide; here each persona's own,
  // the admin's for the anonymous caller); signing out without a session is a no-op.
  {
    route: 'POST /api/v1/session',
    url: () => '/api/v1/session',
    body: (p) => {
      const who = p === 'anonymous' ? 'admin' : p;
      return json({ username: who, password: people.passwords.get(who) });
    },
    ok: 201,
  },
  { route: 'DELETE /api/v1/session', url: () => '/api/v1/session', ok: 204 },
  // Last: it changes the caller's password (the new one is used from then on).
  {
    route: 'PUT /api/v1/me/password',
    url: () => '/api/v1/me/password',
    body: (p) => json({ current: people.passwords.get(p), new: `${people.passwords.get(p)}-2` }),
    ok: 204,
  },
];

const tokenIds = new Map<Persona, number>();
let people: People;

t.test('every route as every persona', async (t) => {
  const served = new Map<string, () => Access | undefined>();
  const { app } = await testApp(t, {
    onRoute: (r) => {
      for (const m of [r.method].flat()) {
        if (m !== 'HEAD' && !r.url.includes('*')) served.set(`${m} ${r.url}`, () => r.access);
      }
    },
  });
  people = new People(app);
  await people.setUp();

  // Fixtures each row consumes once per persona.
  const push = (bytes: Buffer) =>
    app.inject({
      method: 'POST',
      url: '/api/workspaces/demo/charts',
      headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
      payload: bytes,
    });
  await push(makeChart({ version: '0.1.0' }));
  await people.admin('POST', '/api/v1/users', {
    username: 'bystander',
    password: 'bystander-password',
    role: 'platform-regular',
  });
  await people.admin('POST', '/api/v1/roles', { name: 'spare', permissions: [] });
  for (const [i, p] of PERSONAS.entries()) {
    await push(makeChart({ version: `0.2.${i}` }));
    await push(provChart(i));
    await people.admin('POST', '/api/v1/users', {
      username: `doomed-${p}`,
      password: 'doomed-password',
      role: 'platform-regular',
    });
    await people.admin('POST', '/api/v1/users', {
      username: `bystander-${p}`,
      password: 'bystander-password',
      role: 'platform-regular',
    });
    await people.admin('POST', '/api/v1/users', {
      username: `member-${p}`,
      password: 'member-password',
      role: 'platform-regular',
    });
    await people.admin('PUT', `/api/v1/workspaces/demo/members/member-${p}`, { role: 'workspace-viewer' });
    await people.admin('POST', '/api/v1/roles', { name: `doomed-${p}`, permissions: [] });
    await createWorkspace(app, `empty-${p}`);
    await people.addMembers(`empty-${p}`);
    for (const v of ['0.4', '0.5', '0.6']) await push(makeChart({ version: `${v}.${i}` }));
    await push(makeChart({ name: `gone-${i}`, version: '1.0.0' }));
    await app.db.query('DELETE FROM app_versions v USING apps a WHERE a.id = v.app_id AND a.name = $1', [`gone-${i}`]);
    await push(makeChart({ name: `susp-${i}`, version: '1.0.0' }));
    await people.admin('POST', '/api/v1/categories', { name: `doomed-cat-${p}` });
    await people.admin('POST', reposBase, { name: `doomed-${p}`, url: UPSTREAM });
    if (p !== 'anonymous') {
      const res = await people.as(p, 'POST', '/api/v1/me/tokens', { name: 'to-revoke' });
      tokenIds.set(p, res.json().id);
    }
  }

  await people.admin('POST', reposBase, { name: 'fixture', url: UPSTREAM });
  await people.admin('PATCH', '/api/v1/workspaces/demo/apps/demo', { category: 'uncategorized' });
  await app.inject({
    method: 'PUT',
    url: '/api/v1/workspaces/demo/apps/demo/icon',
    headers: { authorization: adminAuth, 'content-type': 'image/png' },
    payload: png(32, 32),
  });
  await people.admin('POST', '/api/v1/categories', { name: 'spare-cat' });
  await app.inject({
    method: 'PUT',
    url: '/api/v1/categories/spare-cat/icon',
    headers: { authorization: adminAuth, 'content-type': 'image/png' },
    payload: png(8, 8),
  });
  // a released app in the store, with an icon
  await push(makeChart({ name: 'shop', version: '1.0.0' }));
  await people.admin('PATCH', '/api/v1/workspaces/demo/apps/shop', { category: 'spare-cat' });
  await app.inject({
    method: 'PUT',
    url: '/api/v1/workspaces/demo/apps/shop/icon',
    headers: { authorization: adminAuth, 'content-type': 'image/png' },
    payload: png(32, 32),
  });
  for (const action of ['submit', 'pass', 'release']) {
    await people.admin('POST', '/api/v1/workspaces/demo/apps/shop/versions/1.0.0/actions', { action });
  }

  // The docs UI serves its own assets under /docs/ (static files); /docs itself has a row.
  for (const route of [...served.keys()]) if (/^[A-Z]+ \/docs\//.test(route)) served.delete(route);
  const covered = new Set(rows.map((r) => r.route));
  for (const route of served.keys()) t.ok(covered.has(route), `the matrix has a row for ${route}`);
  for (const route of covered) t.ok(served.has(route), `the matrix row ${route} is a served route`);

  for (const row of rows) {
    const method = row.route.split(' ')[0] as string;
    for (const [i, p] of PERSONAS.entries()) {
      const body = row.body?.(p, i);
      const res = await people.as(p, method, row.url(p, i), body?.payload, body?.headers);
      const want = expected(served.get(row.route)?.(), p, row);
      t.equal(res.statusCode, want, `${row.route} as ${p}: ${res.statusCode === want ? '' : res.body.slice(0, 200)}`);
      if (res.statusCode === 401) t.equal(res.headers['www-authenticate'], 'Basic realm="chartroom"');
      if (row.route === 'PUT /api/v1/me/password' && res.statusCode === 204) {
        people.passwords.set(p, `${people.passwords.get(p)}-2`);
      }
    }
  }
});

t.test('multipart uploads follow the same rules', async (t) => {
  let rule: Access | undefined;
  const { app } = await testApp(t, {
    onRoute: (r) => {
      if (r.url === '/api/workspaces/:ws/charts' && [r.method].flat().includes('POST')) rule = r.access;
    },
  });
  const ppl = new People(app);
  await ppl.setUp();
  for (const [i, p] of PERSONAS.entries()) {
    const mp = multipart({ chart: { filename: 'x.tgz', data: makeChart({ version: `3.0.${i}` }) } });
    const res = await ppl.as(p, 'POST', '/api/workspaces/demo/charts', mp.payload, mp.headers);
    t.equal(
      res.statusCode,
      expected(rule, p, { route: 'POST /api/workspaces/:ws/charts', url: () => '', ok: 201 }),
      `multipart upload as ${p}`,
    );
  }
});

// Holding one admin permission must not yield the others: nobody gives a role, or makes
// a role hold, a permission they lack, nor acts on a user or role that holds one.
t.test('partial admins cannot escalate', async (t) => {
  const { app } = await testApp(t);
  const ppl = new People(app);
  await ppl.setUp();
  await ppl.admin('POST', '/api/v1/roles', { name: 'user-admin', permissions: ['users.manage'] });
  await ppl.admin('POST', '/api/v1/roles', { name: 'role-admin', permissions: ['roles.manage'] });
  await ppl.admin('POST', '/api/v1/roles', {
    name: 'unused-admin',
    permissions: ['users.manage', 'workspaces.manage'],
  });
  await ppl.admin('POST', '/api/v1/users', { username: 'usermgr', password: 'usermgr-password', role: 'user-admin' });
  await ppl.admin('POST', '/api/v1/users', { username: 'rolemgr', password: 'rolemgr-password', role: 'role-admin' });
  const as = { usermgr: basic('usermgr', 'usermgr-password'), rolemgr: basic('rolemgr', 'rolemgr-password') };
  const everything = [
    'users.manage',
    'roles.manage',
    'workspaces.manage',
    'app-templates.view',
    'app-templates.manage',
  ];

  const cases: Array<[keyof typeof as, string, string, unknown, number, RegExp?]> = [
    // users.manage alone
    [
      'usermgr',
      'PATCH',
      '/api/v1/users/usermgr',
      { role: 'platform-admin' },
      403,
      /giving role "platform-admin" needs the .*roles\.manage/,
    ],
    [
      'usermgr',
      'PATCH',
      '/api/v1/users/usermgr',
      { role: 'role-admin' },
      403,
      /roles\.manage permission, which you do not hold/,
    ],
    [
      'usermgr',
      'POST',
      '/api/v1/users',
      { username: 'sock', password: 'sock-password', role: 'platform-admin' },
      403,
      /roles\.manage/,
    ],
    [
      'usermgr',
      'POST',
      '/api/v1/users',
      { username: 'sock', password: 'sock-password', role: 'app-review' },
      403,
      /app-templates\.manage, app-templates\.view permissions/,
    ],
    ['usermgr', 'PATCH', '/api/v1/users/regular', { role: 'role-admin' }, 403, /roles\.manage/],
    [
      'usermgr',
      'PATCH',
      '/api/v1/users/admin',
      { password: 'taken-over-1' },
      403,
      /changing user "admin" .* needs the .*roles\.manage/,
    ],
    ['usermgr', 'PATCH', '/api/v1/users/admin', { disabled: true }, 403, /roles\.manage/],
    ['usermgr', 'PATCH', '/api/v1/users/admin', { displayName: 'Mallory was here' }, 403, /roles\.manage/],
    ['usermgr', 'PATCH', '/api/v1/users/admin', { role: 'user-admin' }, 403, /roles\.manage/],
    ['usermgr', 'DELETE', '/api/v1/users/admin', undefined, 403, /deleting user "admin"/],
    ['usermgr', 'PATCH', '/api/v1/users/rolemgr', { password: 'taken-over-2' }, 403, /roles\.manage/],
    ['usermgr', 'PATCH', '/api/v1/users/reviewer', { disabled: true }, 403, /app-templates/],
    // ...may still do what it holds
    ['usermgr', 'POST', '/api/v1/users', { username: 'peer', password: 'peer-password', role: 'user-admin' }, 201],
    [
      'usermgr',
      'POST',
      '/api/v1/users',
      { username: 'plain', password: 'plain-password', role: 'platform-regular' },
      201,
    ],
    ['usermgr', 'PATCH', '/api/v1/users/regular', { password: 'reset-password', displayName: 'Regular' }, 200],
    ['usermgr', 'PATCH', '/api/v1/users/peer', { disabled: true }, 200],
    ['usermgr', 'DELETE', '/api/v1/users/plain', undefined, 204],
    // roles.manage alone
    [
      'rolemgr',
      'PATCH',
      '/api/v1/roles/role-admin',
      { permissions: everything },
      403,
      /giving role "role-admin" these permissions needs the .*users\.manage/,
    ],
    [
      'rolemgr',
      'PATCH',
      '/api/v1/roles/role-admin',
      { permissions: ['roles.manage', 'users.manage'] },
      403,
      /needs the users\.manage permission, which you do not hold/,
    ],
    [
      'rolemgr',
      'POST',
      '/api/v1/roles',
      { name: 'everything', permissions: everything },
      403,
      /creating role "everything" needs/,
    ],
    [
      'rolemgr',
      'POST',
      '/api/v1/roles',
      { name: 'viewers', permissions: ['app-templates.view'] },
      403,
      /app-templates\.view/,
    ],
    [
      'rolemgr',
      'PATCH',
      '/api/v1/roles/user-admin',
      { permissions: [] },
      403,
      /changing role "user-admin" needs the users\.manage/,
    ],
    ['rolemgr', 'PATCH', '/api/v1/roles/app-review', { description: 'mine now' }, 403, /app-templates/],
    ['rolemgr', 'DELETE', '/api/v1/roles/unused-admin', undefined, 403, /deleting role "unused-admin"/],
    ['rolemgr', 'PATCH', '/api/v1/users/rolemgr', { role: 'platform-admin' }, 403, /users\.manage/],
    ['rolemgr', 'POST', '/api/v1/roles', { name: 'role-clerk', permissions: ['roles.manage'] }, 201],
    ['rolemgr', 'PATCH', '/api/v1/roles/role-clerk', { permissions: [], description: 'nothing' }, 200],
    ['rolemgr', 'DELETE', '/api/v1/roles/role-clerk', undefined, 204],
  ];
  for (const [who, method, url, payload, status, detail] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: as[who] },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    t.equal(
      res.statusCode,
      status,
      `${who}: ${method} ${url} ${JSON.stringify(payload ?? '')}${res.statusCode === status ? '' : ` -> ${res.body.slice(0, 200)}`}`,
    );
    if (detail) t.match(res.json().detail, detail);
  }

  // Nothing moved: both hold what they held, the admin is untouched, no role grew.
  t.same((await app.inject({ url: '/api/v1/me', headers: { authorization: as.usermgr } })).json().permissions, [
    'users.manage',
  ]);
  t.same((await app.inject({ url: '/api/v1/me', headers: { authorization: as.rolemgr } })).json().permissions, [
    'roles.manage',
  ]);
  const me = await app.inject({ url: '/api/v1/me', headers: { authorization: adminAuth } });
  t.match(me.json(), {
    username: 'admin',
    role: 'platform-admin',
    disabled: false,
    displayName: 'Platform administrator',
  });
  const roles = (await ppl.admin('GET', '/api/v1/roles')).json().items as Array<{
    name: string;
    permissions: string[];
  }>;
  t.same(
    Object.fromEntries(
      roles.filter((r) => r.name.endsWith('-admin') && r.name !== 'platform-admin').map((r) => [r.name, r.permissions]),
    ),
    {
      'role-admin': ['roles.manage'],
      'unused-admin': ['users.manage', 'workspaces.manage'],
      'user-admin': ['users.manage'],
    },
  );
  t.notOk(
    roles.some((r) => r.name === 'everything' || r.name === 'viewers'),
    'no refused role was made',
  );
  t.equal(
    (await app.inject({ url: '/api/v1/users/sock', headers: { authorization: adminAuth } })).statusCode,
    404,
    'no refused user was made',
  );
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: basic('admin', 'taken-over-1') } })).statusCode,
    401,
    "the admin's password was not reset",
  );
});
