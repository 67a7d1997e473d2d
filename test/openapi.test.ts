// openapi/openapi.yaml against the server: the routes served and the paths described
// must be the same set; the document must be valid OpenAPI 3.1 (the official schema
// plus checks the schema cannot express); and real answers must match what it says.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import yaml from 'js-yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { LightMyRequestResponse } from 'fastify';
import { adminAuth, basic, createWorkspace, multipart, testApp } from './helpers/app.js';
import { repoRoot } from './helpers/env.js';
import { makeChart } from './helpers/tarball.js';
import { StoreFixture } from './helpers/store-fixture.js';
import type { Persona } from './helpers/personas.js';
import { errorRegistry } from '../src/errors.js';
import { hashPassword } from '../src/accounts/passwords.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv,
) => Ajv;

type Json = Record<string, unknown>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const specFile = path.join(repoRoot, 'openapi', 'openapi.yaml');
const spec = yaml.load(fs.readFileSync(specFile, 'utf8')) as Json;
const paths = (spec.paths ?? {}) as Record<string, Json>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a local JSON pointer ("#/a/b~1c"); undefined when it leads nowhere. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  if (ref === '#') return spec;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** An object as written, or what its $ref points at (refs of refs followed). */
function deref<T = Json>(v: unknown): T {
  let node = v;
  for (let i = 0; i < 20 && isObject(node) && typeof node.$ref === 'string'; i++) node = resolvePointer(node.$ref);
  return node as T;
}

function operations(): Array<{ path: string; method: string; op: Json; item: Json }> {
  const out = [];
  for (const [p, item] of Object.entries(paths)) {
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (isObject(op)) out.push({ path: p, method: m.toUpperCase(), op, item });
    }
  }
  return out;
}

/** Fastify's `/a/:b` (or `/a/:b(regex)`) as OpenAPI's `/a/{b}`. */
function toTemplate(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
}

/** "METHOD /path" keys, without the HEAD that comes along with every GET. */
function withoutImplicitHead(keys: Iterable<string>): Set<string> {
  const all = new Set(keys);
  for (const k of [...all]) {
    if (k.startsWith('HEAD ') && all.has(`GET ${k.slice(5)}`)) all.delete(k);
  }
  return all;
}

t.test('every served route is in openapi.yaml, and every path in it is served', async (t) => {
  const served: string[] = [];
  const { app } = await testApp(t, {
    onRoute: (r) => {
      for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
        served.push(`${m.toUpperCase()} ${toTemplate(r.url)}`);
      }
    },
  });
  // Request validators compile on first use (src/http/deferred-validators.ts): every
  // route's must compile, without waiting for a request to find one that does not.
  t.ok(app.compileValidators() > 50, "every route's request validators compile");
  // The one exception: the docs UI (@fastify/swagger-ui) serves its own assets under
  // `/docs/` (`/docs/`, `/docs/json`, `/docs/yaml`, `/docs/static/...`). They belong to
  // the UI, not to the API, so they are left out; `/docs` itself (no trailing slash)
  // is still required in the document like every other route.
  const isDocsUiAsset = (k: string): boolean => k.slice(k.indexOf(' ') + 1).startsWith('/docs/');
  const servedSet = withoutImplicitHead(
    served.filter((k) => !k.endsWith(' *') && !k.endsWith('/*') && !isDocsUiAsset(k)),
  );
  t.ok(servedSet.has('GET /docs'), 'GET /docs is served (and so must be documented)');
  const documented = withoutImplicitHead(operations().map((o) => `${o.method} ${o.path}`));
  t.ok(servedSet.size > 0, 'the onRoute hook saw the routes');

  const undocumented = [...servedSet].filter((k) => !documented.has(k)).sort();
  const notServed = [...documented].filter((k) => !servedSet.has(k)).sort();
  t.strictSame(
    undocumented,
    [],
    undocumented.length
      ? `served but missing from openapi/openapi.yaml:\n  ${undocumented.join('\n  ')}`
      : `all ${servedSet.size} served routes are documented`,
  );
  t.strictSame(
    notServed,
    [],
    notServed.length
      ? `in openapi/openapi.yaml but not served:\n  ${notServed.join('\n  ')}`
      : `all ${documented.size} documented operations are served`,
  );
});

t.test('openapi.yaml is valid OpenAPI 3.1', async (t) => {
  t.match(String(spec.openapi), /^3\.1\.\d+$/, 'openapi: 3.1.x');

  const validator = new Validator();
  const result = await validator.validate(spec);
  t.equal(validator.version, '3.1', 'validated against the OpenAPI 3.1 schema');
  t.ok(
    result.valid,
    result.valid
      ? 'matches the official OpenAPI 3.1 JSON Schema'
      : `does not match the official OpenAPI 3.1 JSON Schema: ${JSON.stringify(result.errors, null, 2)}`,
  );

  t.test('every $ref resolves within the document', async (t) => {
    const broken: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}/${i}`));
      else if (isObject(node)) {
        if (typeof node.$ref === 'string' && resolvePointer(node.$ref) === undefined) {
          broken.push(`${where}: ${node.$ref}`);
        }
        for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
      }
    };
    walk(spec, '#');
    t.strictSame(broken, [], broken.length ? `unresolved $refs:\n  ${broken.join('\n  ')}` : 'every $ref resolves');
  });

  t.test('operations: responses, unique operationIds, path parameters declared', async (t) => {
    const ids = new Map<string, string>();
    for (const { path: p, method, op, item } of operations()) {
      const where = `${method} ${p}`;
      const responses = op.responses;
      t.ok(isObject(responses) && Object.keys(responses).length > 0, `${where} has responses`);
      for (const [status, r] of Object.entries(isObject(responses) ? responses : {})) {
        t.match(status, /^([1-5](\d\d|XX)|default)$/, `${where}: response key ${status}`);
        t.type(deref<Json | undefined>(r)?.description, 'string', `${where} ${status} has a description`);
      }
      if (typeof op.operationId === 'string') {
        const other = ids.get(op.operationId);
        t.notOk(
          other,
          other
            ? `${where}: operationId ${op.operationId} is also used by ${other}`
            : `${where}: operationId ${op.operationId} is unique`,
        );
        ids.set(op.operationId, where);
      }

      // Operation-level parameters override path-level ones with the same name and place.
      const params = new Map<string, Json>();
      for (const raw of [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]) {
        const prm = deref<Json | undefined>(raw);
        if (!isObject(prm)) {
          t.fail(`${where}: a parameter does not resolve: ${JSON.stringify(raw)}`);
          continue;
        }
        params.set(`${String(prm.in)}:${String(prm.name)}`, prm);
      }
      const inTemplate = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
      for (const name of inTemplate) {
        const prm = params.get(`path:${name}`);
        t.ok(prm, `${where}: path parameter {${name}} is declared`);
        if (prm) t.equal(prm.required, true, `${where}: path parameter {${name}} is required`);
      }
      for (const [key] of params) {
        if (key.startsWith('path:')) {
          t.ok(inTemplate.includes(key.slice(5)), `${where}: declared ${key} is in the path template`);
        }
      }
    }
  });

  t.test('error codes are exactly those of the error registry', async (t) => {
    const problem = deref((spec.components as Json).schemas && ((spec.components as Json).schemas as Json).Problem);
    const code = deref((problem.properties as Json).code);
    t.strictSame([...(code.enum as string[])].sort(), Object.keys(errorRegistry).sort());
    const cm = deref(((spec.components as Json).schemas as Json).ChartMuseumError);
    t.strictSame([...(deref((cm.properties as Json).code).enum as string[])].sort(), Object.keys(errorRegistry).sort());
  });

  t.test('security schemes: HTTP basic and bearer', async (t) => {
    const schemes = (spec.components as Json).securitySchemes as Record<string, Json>;
    t.same(
      Object.values(schemes)
        .map((s) => `${String(s.type)}:${String(s.scheme)}`)
        .sort(),
      ['http:basic', 'http:bearer'],
    );
  });
});

// --- answers against the document ---------------------------------------------

const SPEC_ID = 'https://chartroom.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv as unknown as Ajv);
ajv.addFormat('binary', true);
ajv.addSchema({ $id: SPEC_ID, components: spec.components }, SPEC_ID);

/** A schema from the document with its local refs pointed at the document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? SPEC_ID + v : rebase(v);
  }
  return out;
}

/** Checks an answer's status, media type, body and headers against the document. */
function conforms(t: Test, res: LightMyRequestResponse, method: string, template: string): void {
  const where = `${method} ${template} -> ${res.statusCode}`;
  const op = paths[template]?.[method.toLowerCase()];
  if (!isObject(op)) {
    t.fail(`${method} ${template} is not in the document`);
    return;
  }
  const responses = op.responses as Json;
  const documented =
    responses[String(res.statusCode)] ?? responses[`${String(res.statusCode)[0]}XX`] ?? responses.default;
  if (!documented) {
    t.fail(`${where}: status not documented (${res.body.slice(0, 200)})`);
    return;
  }
  const response = deref(documented);
  for (const [name, h] of Object.entries((response.headers as Json | undefined) ?? {})) {
    if (deref(h).required) t.ok(res.headers[name.toLowerCase()], `${where}: header ${name} is sent`);
  }
  const content = response.content as Record<string, Json> | undefined;
  const type =
    String(res.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  if (!content) {
    t.equal(res.rawPayload.length, 0, `${where}: no body documented, none sent`);
    return;
  }
  const media = content[type];
  if (!media) {
    t.fail(
      `${where}: media type ${JSON.stringify(type)} not documented (documented: ${Object.keys(content).join(', ')})`,
    );
    return;
  }
  if (!media.schema) return;
  const schema = media.schema as Json;
  if (schema.format === 'binary') return;
  let body: unknown;
  if (type.endsWith('json')) body = res.json();
  else if (type.endsWith('yaml')) body = yaml.load(res.body);
  else body = res.body;
  const validate = ajv.compile(rebase(schema) as Json);
  t.ok(
    validate(body),
    `${where}: body matches the schema${validate.errors ? `: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}` : ''}`,
  );
}

t.test('answers match the document', async (t) => {
  const { app, db } = await testApp(t);
  const auth = { authorization: adminAuth };
  const hash = await hashPassword('viewer-password');
  await db.query(
    "INSERT INTO users (username, password_hash, platform_role) VALUES ('viewer', $1, 'platform-regular')",
    [hash],
  );
  const viewer = { authorization: basic('viewer', 'viewer-password') };
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    template: string,
    opts: { headers?: Record<string, string>; payload?: string | Buffer | object } = {},
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: opts.headers ?? auth,
      ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
    });
    conforms(t, res, method, template);
    return res;
  };

  // ops
  await call('GET', '/healthz', '/healthz', { headers: {} });
  await call('GET', '/readyz', '/readyz', { headers: {} });
  await call('GET', '/metrics', '/metrics', { headers: {} });
  await call('GET', '/healthz', '/healthz', { headers: { authorization: basic('admin', 'wrong') } });

  // /api/v1
  await call('GET', '/api/v1/me', '/api/v1/me', { headers: {} });
  await call('GET', '/api/v1/me', '/api/v1/me');
  let res = await call('POST', '/api/v1/workspaces', '/api/v1/workspaces', {
    payload: { name: 'demo', displayName: 'Demo' },
  });
  t.equal(res.statusCode, 201);
  await db.query(
    "INSERT INTO workspace_members (workspace_id, user_id, role) SELECT w.id, u.id, 'workspace-viewer' FROM workspaces w, users u WHERE u.username = 'viewer'",
  );
  await createWorkspace(app, 'other');
  await call('POST', '/api/v1/workspaces', '/api/v1/workspaces', { payload: { name: 'demo' } });
  await call('POST', '/api/v1/workspaces', '/api/v1/workspaces', { payload: { name: 'Not A Label' } });
  await call('POST', '/api/v1/workspaces', '/api/v1/workspaces', { payload: { nom: 'x' } });
  await call('POST', '/api/v1/workspaces', '/api/v1/workspaces', { headers: viewer, payload: { name: 'mine' } });
  await call('GET', '/api/v1/workspaces', '/api/v1/workspaces');
  await call('GET', '/api/v1/me', '/api/v1/me', { headers: viewer });
  await call('GET', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}');
  await call('GET', '/api/v1/workspaces/other', '/api/v1/workspaces/{ws}', { headers: viewer });
  await call('GET', '/api/v1/workspaces/nope', '/api/v1/workspaces/{ws}');
  res = await call('PATCH', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}', {
    payload: { displayName: 'Demo workspace' },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().displayName, 'Demo workspace');
  await call('PATCH', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}', {
    headers: viewer,
    payload: { displayName: 'Mine' },
  });
  await call('PATCH', '/api/v1/workspaces/other', '/api/v1/workspaces/{ws}', {
    headers: viewer,
    payload: { displayName: 'Mine' },
  });
  await call('PATCH', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}', { payload: {} });

  // permissions and roles
  await call('GET', '/api/v1/permissions', '/api/v1/permissions', { headers: viewer });
  await call('GET', '/api/v1/permissions', '/api/v1/permissions', { headers: {} });
  res = await call('GET', '/api/v1/roles', '/api/v1/roles', { headers: viewer });
  t.same(
    res.json().items.map((r: { name: string }) => r.name),
    ['platform-admin', 'platform-regular'],
  );
  await call('GET', '/api/v1/roles/platform-admin', '/api/v1/roles/{role}', { headers: viewer });
  await call('GET', '/api/v1/roles/nope', '/api/v1/roles/{role}');
  const reviewerRole = {
    name: 'reviewer',
    permissions: ['app-templates.view', 'app-templates.manage'],
    description: 'Reviews store submissions',
  };
  res = await call('POST', '/api/v1/roles', '/api/v1/roles', { payload: reviewerRole });
  t.equal(res.statusCode, 201);
  t.equal(res.headers.location, '/api/v1/roles/reviewer');
  res = await call('POST', '/api/v1/roles', '/api/v1/roles', { payload: reviewerRole });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'role-exists');
  await call('POST', '/api/v1/roles', '/api/v1/roles', { payload: { name: 'bad', permissions: ['charts.eat'] } });
  await call('POST', '/api/v1/roles', '/api/v1/roles', { headers: viewer, payload: { name: 'mine', permissions: [] } });
  res = await call('PATCH', '/api/v1/roles/reviewer', '/api/v1/roles/{role}', {
    payload: { description: 'Reviews apps' },
  });
  t.equal(res.statusCode, 200);
  res = await call('PATCH', '/api/v1/roles/platform-admin', '/api/v1/roles/{role}', {
    payload: { description: 'All of it' },
  });
  t.equal(res.json().code, 'role-builtin');
  await call('PATCH', '/api/v1/roles/nope', '/api/v1/roles/{role}', { payload: { description: 'x' } });
  await call('PATCH', '/api/v1/roles/reviewer', '/api/v1/roles/{role}', {
    headers: viewer,
    payload: { description: 'x' },
  });

  // users
  const carol = { authorization: basic('carol', 'carol-password') };
  res = await call('POST', '/api/v1/users', '/api/v1/users', {
    payload: {
      username: 'carol',
      password: 'carol-password',
      role: 'reviewer',
      displayName: 'Carol',
      email: 'carol@example.com',
    },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.headers.location, '/api/v1/users/carol');
  res = await call('POST', '/api/v1/users', '/api/v1/users', {
    payload: { username: 'carol', password: 'another-password', role: 'platform-regular' },
  });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'user-exists');
  await call('POST', '/api/v1/users', '/api/v1/users', {
    payload: { username: 'dave', password: 'short', role: 'platform-regular' },
  });
  await call('POST', '/api/v1/users', '/api/v1/users', {
    payload: { username: 'dave', password: 'dave-password', role: 'no-such-role' },
  });
  await call('POST', '/api/v1/users', '/api/v1/users', {
    headers: viewer,
    payload: { username: 'dave', password: 'dave-password', role: 'platform-regular' },
  });
  res = await call('GET', '/api/v1/users?limit=2', '/api/v1/users');
  t.same(
    res.json().items.map((u: { username: string }) => u.username),
    ['admin', 'carol'],
  );
  const next = res.json().nextCursor as string;
  t.type(next, 'string', 'a further page');
  res = await call('GET', `/api/v1/users?limit=2&cursor=${encodeURIComponent(next)}`, '/api/v1/users');
  t.same(res.json(), { items: [res.json().items[0]], nextCursor: null });
  t.equal(res.json().items[0].username, 'viewer');
  await call('GET', '/api/v1/users?cursor=not-one-of-ours', '/api/v1/users');
  await call('GET', '/api/v1/users?limit=0', '/api/v1/users');
  await call('GET', '/api/v1/users', '/api/v1/users', { headers: viewer });
  await call('GET', '/api/v1/users/carol', '/api/v1/users/{username}');
  await call('GET', '/api/v1/users/viewer', '/api/v1/users/{username}', { headers: viewer });
  await call('GET', '/api/v1/users/carol', '/api/v1/users/{username}', { headers: viewer });
  res = await call('GET', '/api/v1/users/nobody', '/api/v1/users/{username}');
  t.equal(res.statusCode, 404);
  res = await call('PATCH', '/api/v1/users/carol', '/api/v1/users/{username}', {
    payload: { displayName: 'Carol C.' },
  });
  t.equal(res.json().displayName, 'Carol C.');
  await call('PATCH', '/api/v1/users/nobody', '/api/v1/users/{username}', { payload: { displayName: 'x' } });
  await call('PATCH', '/api/v1/users/viewer', '/api/v1/users/{username}', {
    headers: viewer,
    payload: { displayName: 'x' },
  });
  await call('PATCH', '/api/v1/users/carol', '/api/v1/users/{username}', { payload: {} });
  res = await call('PATCH', '/api/v1/users/admin', '/api/v1/users/{username}', { payload: { disabled: true } });
  t.equal(res.json().code, 'conflict', 'the last user manager cannot be disabled');
  await call('DELETE', '/api/v1/users/admin', '/api/v1/users/{username}');
  res = await call('DELETE', '/api/v1/roles/reviewer', '/api/v1/roles/{role}');
  t.equal(res.json().code, 'role-in-use');
  res = await call('DELETE', '/api/v1/roles/platform-regular', '/api/v1/roles/{role}');
  t.equal(res.json().code, 'role-builtin');

  // the caller's own account and tokens
  res = await call('POST', '/api/v1/me/tokens', '/api/v1/me/tokens', { headers: carol, payload: { name: 'ci' } });
  t.equal(res.statusCode, 201);
  const token = res.json() as { id: number; token: string; prefix: string };
  t.ok(token.token.startsWith(token.prefix), 'the prefix is the start of the token');
  const bearer = { authorization: `Bearer ${token.token}` };
  res = await call('POST', '/api/v1/me/tokens', '/api/v1/me/tokens', {
    headers: bearer,
    payload: { name: 'deploy', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  t.equal(res.statusCode, 403, 'a token may not make tokens');
  res = await call('POST', '/api/v1/me/tokens', '/api/v1/me/tokens', {
    headers: carol,
    payload: { name: 'deploy', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  t.equal(res.statusCode, 201);
  await call('GET', '/api/v1/me', '/api/v1/me', { headers: bearer });
  await call('POST', '/api/v1/me/tokens', '/api/v1/me/tokens', {
    headers: carol,
    payload: { name: 'old', expiresAt: '2001-01-01T00:00:00Z' },
  });
  await call('POST', '/api/v1/me/tokens', '/api/v1/me/tokens', { headers: carol, payload: { name: '' } });
  res = await call('GET', '/api/v1/me/tokens', '/api/v1/me/tokens', { headers: carol });
  t.same(
    res.json().items.map((k: { name: string }) => k.name),
    ['ci', 'deploy'],
  );
  t.type(res.json().items[0].lastUsedAt, 'string', 'a used token says when');
  t.notOk(JSON.stringify(res.json()).includes(token.token), 'the secret is not listed');
  res = await call('GET', '/api/v1/me', '/api/v1/me', { headers: { authorization: basic('carol', token.token) } });
  t.equal(res.json().username, 'carol');
  await call('GET', '/api/v1/me/tokens', '/api/v1/me/tokens', { headers: viewer });
  await call('DELETE', `/api/v1/me/tokens/${token.id}`, '/api/v1/me/tokens/{id}', { headers: viewer });
  await call('DELETE', '/api/v1/me/tokens/x1', '/api/v1/me/tokens/{id}', { headers: carol });
  await call('DELETE', `/api/v1/me/tokens/${token.id}`, '/api/v1/me/tokens/{id}', { headers: bearer });
  await call('PUT', '/api/v1/me/password', '/api/v1/me/password', {
    headers: bearer,
    payload: { current: 'carol-password', new: 'carol-password-9' },
  });
  res = await call('DELETE', `/api/v1/me/tokens/${token.id}`, '/api/v1/me/tokens/{id}', { headers: carol });
  t.equal(res.statusCode, 204);
  await call('GET', '/api/v1/me', '/api/v1/me', { headers: bearer });
  res = await call('DELETE', `/api/v1/me/tokens/${token.id}`, '/api/v1/me/tokens/{id}', { headers: carol });
  t.equal(res.statusCode, 404);
  await call('PUT', '/api/v1/me/password', '/api/v1/me/password', {
    headers: carol,
    payload: { current: 'wrong-password', new: 'carol-password-2' },
  });
  await call('PUT', '/api/v1/me/password', '/api/v1/me/password', {
    headers: carol,
    payload: { current: 'carol-password', new: 'short' },
  });
  res = await call('PUT', '/api/v1/me/password', '/api/v1/me/password', {
    headers: carol,
    payload: { current: 'carol-password', new: 'carol-password-2' },
  });
  t.equal(res.statusCode, 204);
  await call('PUT', '/api/v1/me/password', '/api/v1/me/password', {
    headers: {},
    payload: { current: 'x', new: 'yyyyyyyy' },
  });
  const carol2 = { authorization: basic('carol', 'carol-password-2') };

  // members
  res = await call('PUT', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'workspace-regular' },
  });
  t.equal(res.statusCode, 201, 'a new member');
  res = await call('PUT', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'workspace-admin' },
  });
  t.equal(res.statusCode, 200, 'a changed member');
  await call('PUT', '/api/v1/workspaces/demo/members/nobody', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'workspace-viewer' },
  });
  await call('PUT', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'owner' },
  });
  await call('PUT', '/api/v1/workspaces/demo/members/viewer', '/api/v1/workspaces/{ws}/members/{username}', {
    headers: viewer,
    payload: { role: 'workspace-admin' },
  });
  await call('PUT', '/api/v1/workspaces/nope/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'workspace-viewer' },
  });
  res = await call('GET', '/api/v1/workspaces/demo/members', '/api/v1/workspaces/{ws}/members', { headers: viewer });
  t.same(
    res.json().items.map((m: { username: string; role: string }) => `${m.username}:${m.role}`),
    ['carol:workspace-admin', 'viewer:workspace-viewer'],
  );
  await call('GET', '/api/v1/workspaces/other/members', '/api/v1/workspaces/{ws}/members', { headers: viewer });
  res = await call('GET', '/api/v1/me', '/api/v1/me', { headers: carol2 });
  t.same(res.json().workspaces, [{ name: 'demo', role: 'workspace-admin' }]);
  await call('DELETE', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    headers: viewer,
  });
  res = await call('DELETE', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    headers: carol2,
  });
  t.equal(res.statusCode, 409, 'the last workspace-admin may not leave');
  res = await call('PUT', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    headers: carol2,
    payload: { role: 'workspace-viewer' },
  });
  t.equal(res.statusCode, 409, 'nor demote themselves');
  await call('POST', '/api/v1/users', '/api/v1/users', {
    payload: { username: 'dave', password: 'dave-password', role: 'platform-regular' },
  });
  await call('PUT', '/api/v1/workspaces/demo/members/dave', '/api/v1/workspaces/{ws}/members/{username}', {
    payload: { role: 'workspace-admin' },
  });
  res = await call('DELETE', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}', {
    headers: carol2,
  });
  t.equal(res.statusCode, 204, 'a workspace-admin may remove themselves once another admin exists');
  res = await call('DELETE', '/api/v1/workspaces/demo/members/carol', '/api/v1/workspaces/{ws}/members/{username}');
  t.equal(res.statusCode, 404);

  // ChartMuseum API
  const charts = '/api/workspaces/{ws}/charts';
  const chart = makeChart({ name: 'web', version: '1.2.16' });
  res = await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: chart,
  });
  t.equal(res.statusCode, 201);
  const mp = multipart(
    { chart: { filename: 'web-1.3.0.tgz', data: makeChart({ name: 'web', version: '1.3.0' }) } },
    { updateLog: 'notes' },
  );
  res = await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { ...auth, ...mp.headers },
    payload: mp.payload,
  });
  t.equal(res.statusCode, 201);
  await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: chart,
  });
  await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: Buffer.from('not a chart'),
  });
  await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { ...viewer, 'content-type': 'application/gzip' },
    payload: chart,
  });
  await call('POST', '/api/workspaces/demo/charts', charts, {
    headers: { 'content-type': 'application/gzip' },
    payload: chart,
  });
  await call('POST', '/api/workspaces/nope/charts', charts, {
    headers: { ...auth, 'content-type': 'application/gzip' },
    payload: chart,
  });
  await call('POST', '/api/workspaces/demo/prov', '/api/workspaces/{ws}/prov', {
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    payload: Buffer.from('not a signature'),
  });
  await call('GET', '/api/workspaces/demo/charts', charts);
  await call('GET', '/api/workspaces/demo/charts/web', `${charts}/{name}`);
  await call('GET', '/api/workspaces/demo/charts/nope', `${charts}/{name}`);
  await call('GET', '/api/workspaces/demo/charts/web/latest', `${charts}/{name}/{version}`);
  await call('GET', '/api/workspaces/demo/charts/web/1.2.16', `${charts}/{name}/{version}`);
  await call('GET', '/api/workspaces/demo/charts/web/9.9.9', `${charts}/{name}/{version}`);

  // Helm repository
  res = await call('GET', '/workspaces/demo/index.yaml', '/workspaces/{ws}/index.yaml');
  t.equal(res.statusCode, 200);
  await call('GET', '/workspaces/demo/index.yaml', '/workspaces/{ws}/index.yaml', {
    headers: { ...auth, 'if-none-match': String(res.headers.etag) },
  });
  await call('GET', '/workspaces/demo/index.yaml', '/workspaces/{ws}/index.yaml', { headers: {} });
  await call('GET', '/workspaces/other/index.yaml', '/workspaces/{ws}/index.yaml', { headers: viewer });
  res = await call('GET', '/workspaces/demo/charts/web-1.2.16.tgz', '/workspaces/{ws}/charts/{file}');
  t.equal(res.statusCode, 200);
  await call('GET', '/workspaces/demo/charts/web-1.2.16.tgz', '/workspaces/{ws}/charts/{file}', {
    headers: { ...auth, 'if-none-match': String(res.headers.etag) },
  });
  await call('GET', '/workspaces/demo/charts/web-0.0.1.tgz', '/workspaces/{ws}/charts/{file}');

  // deleting
  await call('DELETE', '/api/workspaces/demo/charts/web/1.2.16', `${charts}/{name}/{version}`, { headers: viewer });
  res = await call('DELETE', '/api/workspaces/demo/charts/web/1.2.16', `${charts}/{name}/{version}`);
  t.equal(res.statusCode, 200);
  await call('DELETE', '/api/workspaces/demo/charts/web/1.2.16', `${charts}/{name}/{version}`);

  // deleting workspaces, users and roles
  res = await call('DELETE', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}');
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'workspace-not-empty');
  await call('DELETE', '/api/v1/workspaces/other', '/api/v1/workspaces/{ws}', { headers: viewer });
  await call('DELETE', '/api/v1/workspaces/demo', '/api/v1/workspaces/{ws}', { headers: viewer });
  res = await call('DELETE', '/api/v1/workspaces/other', '/api/v1/workspaces/{ws}');
  t.equal(res.statusCode, 204);
  await call('DELETE', '/api/v1/workspaces/other', '/api/v1/workspaces/{ws}');
  await call('DELETE', '/api/v1/users/carol', '/api/v1/users/{username}', { headers: viewer });
  res = await call('DELETE', '/api/v1/users/carol', '/api/v1/users/{username}');
  t.equal(res.statusCode, 204);
  await call('DELETE', '/api/v1/users/carol', '/api/v1/users/{username}');
  await call('GET', '/api/v1/me', '/api/v1/me', { headers: carol2 });
  await call('DELETE', '/api/v1/roles/reviewer', '/api/v1/roles/{role}', { headers: viewer });
  res = await call('DELETE', '/api/v1/roles/reviewer', '/api/v1/roles/{role}');
  t.equal(res.statusCode, 204);
  await call('DELETE', '/api/v1/roles/reviewer', '/api/v1/roles/{role}');
});

t.test('app-store answers match the document', async (t) => {
  const { app } = await testApp(t);
  const f = await new StoreFixture(app).setUp();
  type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  const call = async (
    as: Persona,
    method: Method,
    url: string,
    template: string,
    opts: { headers?: Record<string, string>; payload?: string | Buffer | object } = {},
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...f.people.headers(as), ...opts.headers },
      ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
    });
    conforms(t, res, method, template);
    return res;
  };
  const form = (chart: Buffer, fields: Record<string, string> = {}) =>
    multipart({ chart: { filename: 'chart.tgz', data: chart } }, fields);
  const gzip = { 'content-type': 'application/gzip' };
  const yamlBody = { 'content-type': 'application/yaml' };
  const svgIcon = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16"><rect width="16" height="16" fill="#08c"/></svg>',
  );
  const svgType = { 'content-type': 'image/svg+xml' };
  const schema = JSON.stringify({
    type: 'object',
    properties: {
      replicaCount: { type: 'integer', minimum: 1 },
      image: { type: 'object', properties: { tag: { type: 'string' } } },
    },
  });

  const apps = '/api/v1/workspaces/{ws}/apps';
  const appT = `${apps}/{app}`;
  const versionsT = `${appT}/versions`;
  const versionT = `${versionsT}/{version}`;
  const web = f.url('web');
  const v100 = f.url('web', '/versions/1.0.0');
  const v110 = f.url('web', '/versions/1.1.0');

  // uploads
  await call('viewer', 'GET', '/api/v1/workspaces/demo/apps', apps);
  await call('anonymous', 'GET', '/api/v1/workspaces/demo/apps', apps);
  await call('regular', 'GET', '/api/v1/workspaces/demo/apps', apps);
  let mp = form(makeChart({ name: 'web', version: '1.0.0' }), { updateLog: 'first release' });
  let res = await call('wsregular', 'POST', '/api/v1/workspaces/demo/apps', apps, {
    headers: mp.headers,
    payload: mp.payload,
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().app.name, 'web');
  t.equal(res.json().version.state, 'draft');
  t.equal(res.json().version.updateLog, 'first release');
  mp = form(makeChart({ name: 'web', version: '1.0.0' }));
  res = await call('wsregular', 'POST', '/api/v1/workspaces/demo/apps', apps, {
    headers: mp.headers,
    payload: mp.payload,
  });
  t.equal(res.json().code, 'version-exists');
  mp = form(makeChart({ name: 'web', version: '1.0.1' }));
  res = await call('viewer', 'POST', '/api/v1/workspaces/demo/apps', apps, {
    headers: mp.headers,
    payload: mp.payload,
  });
  t.equal(res.statusCode, 403);
  res = await call('wsregular', 'POST', '/api/v1/workspaces/demo/apps', apps, {
    headers: gzip,
    payload: Buffer.from('not a chart'),
  });
  t.equal(res.json().code, 'chart-invalid');
  res = await call('wsregular', 'POST', '/api/v1/workspaces/demo/apps', apps, { payload: { chart: 'web' } });
  t.equal(res.statusCode, 415, 'JSON instead of a package: the same 415 as every raw-bytes route');
  await call('wsregular', 'POST', '/api/v1/workspaces/nope/apps', apps, {
    headers: gzip,
    payload: makeChart({ name: 'web', version: '1.0.1' }),
  });
  const withSchema = makeChart({ name: 'web', version: '1.1.0', schema, readme: '# web\n\nA web server.\n' });
  mp = form(withSchema);
  res = await call('wsregular', 'POST', `${web}/versions`, versionsT, { headers: mp.headers, payload: mp.payload });
  t.equal(res.statusCode, 201);
  t.equal(res.json().version.version, '1.1.0');
  res = await call('wsregular', 'POST', `${web}/versions`, versionsT, {
    headers: gzip,
    payload: makeChart({ name: 'other', version: '1.0.0' }),
  });
  t.equal(res.json().code, 'chart-invalid', 'the chart must be this app');
  await call('wsregular', 'POST', f.url('nope', '/versions'), versionsT, {
    headers: gzip,
    payload: makeChart({ name: 'nope', version: '1.0.0' }),
  });

  // reading apps and versions
  res = await call('viewer', 'GET', '/api/v1/workspaces/demo/apps', apps);
  t.equal(res.json().items[0].versionCount, 2);
  t.equal(res.json().items[0].latestVersion.version, '1.1.0');
  res = await call('viewer', 'GET', web, appT);
  t.same(
    res.json().versions.map((v: { version: string }) => v.version),
    ['1.1.0', '1.0.0'],
  );
  await call('viewer', 'GET', f.url('nope'), appT);
  await call('viewer', 'GET', f.url('x'.repeat(251)), appT);
  await call('viewer', 'GET', `${web}/versions`, versionsT);
  res = await call('viewer', 'GET', v100, versionT);
  t.same(res.json().allowedActions, [], 'a viewer may do nothing');
  res = await call('wsregular', 'GET', v100, versionT);
  t.same(res.json().allowedActions, ['replace', 'submit', 'delete']);
  await call('viewer', 'GET', f.url('web', '/versions/9.9.9'), versionT);

  // submitting needs a category
  res = await call('wsregular', 'POST', `${v100}/actions`, `${versionT}/actions`, { payload: { action: 'submit' } });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'category-required');

  // editing the app
  await call('viewer', 'PATCH', web, appT, { payload: { description: 'mine' } });
  res = await call('wsregular', 'PATCH', web, appT, { payload: { category: 'no-such-category' } });
  t.equal(res.json().code, 'validation-failed');
  await call('wsregular', 'PATCH', web, appT, { payload: {} });
  await call('wsregular', 'PATCH', web, appT, { payload: { home: 'ftp://example.com' } });
  res = await call('wsregular', 'PATCH', web, appT, {
    payload: {
      description: 'A web server',
      abstraction: 'Serves the web',
      home: 'https://example.com/web',
      category: 'uncategorized',
    },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().category.name, 'uncategorized');

  // categories
  const cats = '/api/v1/categories';
  const catT = `${cats}/{id}`;
  res = await call('anonymous', 'GET', cats, cats);
  t.same(
    res.json().items.map((c: { name: string }) => c.name),
    ['uncategorized'],
    'the store is public by default',
  );
  await call('anonymous', 'GET', cats, cats, { headers: { authorization: basic('admin', 'wrong') } });
  await call('wsregular', 'POST', cats, cats, { payload: { name: 'Databases' } });
  await call('anonymous', 'POST', cats, cats, { payload: { name: 'Databases' } });
  res = await call('reviewer', 'POST', cats, cats, {
    payload: { name: 'Databases', description: 'Things that store things' },
  });
  t.equal(res.statusCode, 201);
  const dbId = res.json().id as number;
  t.equal(res.headers.location, `/api/v1/categories/${dbId}`);
  res = await call('reviewer', 'POST', cats, cats, { payload: { name: 'Databases' } });
  t.equal(res.json().code, 'category-exists');
  await call('reviewer', 'POST', cats, cats, { payload: { name: '123' } });
  await call('reviewer', 'POST', cats, cats, { payload: { title: 'x' } });
  await call('reviewer', 'POST', cats, cats, { payload: { name: 'Web' } });
  await call('anonymous', 'GET', `${cats}/${dbId}`, catT);
  await call('anonymous', 'GET', `${cats}/Databases`, catT);
  await call('anonymous', 'GET', `${cats}/nope`, catT);
  await call('anonymous', 'GET', `${cats}/${'x'.repeat(65)}`, catT);
  res = await call('reviewer', 'PATCH', `${cats}/${dbId}`, catT, { payload: { description: 'Stores of data' } });
  t.equal(res.json().description, 'Stores of data');
  res = await call('reviewer', 'PATCH', `${cats}/uncategorized`, catT, { payload: { name: 'misc' } });
  t.equal(res.json().code, 'category-builtin');
  res = await call('reviewer', 'PATCH', `${cats}/${dbId}`, catT, { payload: { name: 'Web' } });
  t.equal(res.json().code, 'category-exists');
  await call('wsregular', 'PATCH', `${cats}/${dbId}`, catT, { payload: { description: 'x' } });
  await call('reviewer', 'PATCH', `${cats}/nope`, catT, { payload: { description: 'x' } });
  await call('reviewer', 'PATCH', `${cats}/${dbId}`, catT, { payload: {} });
  await call('anonymous', 'GET', `${cats}/${dbId}/icon`, `${catT}/icon`);
  res = await call('reviewer', 'PUT', `${cats}/${dbId}/icon`, `${catT}/icon`, { headers: svgType, payload: svgIcon });
  t.equal(res.json().icon, `/api/v1/categories/${dbId}/icon`);
  res = await call('anonymous', 'GET', `${cats}/${dbId}/icon`, `${catT}/icon`);
  t.equal(res.headers['content-type'], 'image/svg+xml');
  res = await call('reviewer', 'PUT', `${cats}/${dbId}/icon`, `${catT}/icon`, {
    headers: { 'content-type': 'image/png' },
    payload: Buffer.from('not an image'),
  });
  t.equal(res.json().code, 'icon-invalid');
  res = await call('reviewer', 'PUT', `${cats}/${dbId}/icon`, `${catT}/icon`, { payload: { icon: 'x' } });
  t.equal(res.statusCode, 415);
  await call('wsregular', 'PUT', `${cats}/${dbId}/icon`, `${catT}/icon`, { headers: svgType, payload: svgIcon });
  await call('reviewer', 'PUT', `${cats}/nope/icon`, `${catT}/icon`, { headers: svgType, payload: svgIcon });
  res = await call('reviewer', 'DELETE', `${cats}/uncategorized`, catT);
  t.equal(res.json().code, 'category-builtin');
  await call('wsregular', 'DELETE', `${cats}/${dbId}`, catT);

  // reviewers may move an app between categories, and only that
  res = await call('reviewer', 'PATCH', web, appT, { payload: { category: dbId } });
  t.same(res.json().category, { id: dbId, name: 'Databases' });
  await call('reviewer', 'PATCH', web, appT, { payload: { description: 'reviewed' } });
  res = await call('reviewer', 'DELETE', `${cats}/${dbId}`, catT);
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'category-in-use');

  // the app's icon
  await call('viewer', 'GET', `${web}/icon`, `${appT}/icon`);
  res = await call('wsregular', 'PUT', `${web}/icon`, `${appT}/icon`, { headers: svgType, payload: svgIcon });
  t.equal(res.json().icon, '/api/v1/workspaces/demo/apps/web/icon');
  res = await call('viewer', 'GET', `${web}/icon`, `${appT}/icon`);
  t.equal(res.statusCode, 200);
  await call('viewer', 'PUT', `${web}/icon`, `${appT}/icon`, { headers: svgType, payload: svgIcon });
  await call('wsregular', 'PUT', `${web}/icon`, `${appT}/icon`, {
    headers: svgType,
    payload: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>'),
  });
  await call('wsregular', 'PUT', `${web}/icon`, `${appT}/icon`, { payload: { icon: 'x' } });

  // the lifecycle: submit, pass, release
  const act = (as: Persona, url: string, action: string, message?: string) =>
    call(as, 'POST', `${url}/actions`, `${versionT}/actions`, {
      payload: message === undefined ? { action } : { action, message },
    });
  res = await act('wsregular', v100, 'submit', 'please review');
  t.equal(res.json().state, 'submitted');
  res = await act('wsregular', v100, 'submit');
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'invalid-transition');
  t.equal(res.json().state, 'submitted');
  t.same(res.json().allowedActions, ['cancel']);
  res = await act('wsregular', v100, 'pass');
  t.equal(res.statusCode, 403);
  await act('viewer', v100, 'cancel');
  res = await act('reviewer', v100, 'reject');
  t.equal(res.json().code, 'validation-failed', 'reject needs a message');
  await act('reviewer', v100, 'approve');
  await act('reviewer', f.url('web', '/versions/9.9.9'), 'pass');
  res = await act('reviewer', v100, 'pass', 'looks good');
  t.equal(res.json().state, 'passed');
  res = await act('wsregular', v100, 'release');
  t.equal(res.json().state, 'active');
  t.type(res.json().releasedAt, 'string');
  res = await call('reviewer', 'GET', v100, versionT);
  t.ok(Array.isArray(res.json().allowedActions), 'GET version carries allowedActions');
  t.same(res.json().allowedActions, ['suspend'], 'a reviewer may suspend an active version');
  res = await call('wsregular', 'GET', v100, versionT);
  t.same(res.json().allowedActions, [], 'an ISV can do nothing with an active version');

  // events
  res = await call('viewer', 'GET', `${v100}/events`, `${versionT}/events`);
  t.same(
    res.json().items.map((e: { action: string }) => e.action),
    ['release', 'pass', 'submit', 'upload'],
    'newest first',
  );
  t.equal(res.json().items[1].message, 'looks good');
  res = await call('viewer', 'GET', `${web}/events`, `${appT}/events`);
  t.ok(
    res.json().items.some((e: { action: string; version: string | null }) => e.action === 'edit' && e.version === null),
    'edits are app events',
  );
  await call('viewer', 'GET', `${f.url('web', '/versions/9.9.9')}/events`, `${versionT}/events`);
  await call('anonymous', 'GET', `${web}/events`, `${appT}/events`);

  // files
  const fileT = `${versionT}/files/{name}`;
  res = await call('viewer', 'GET', `${v110}/files/README.md`, fileT);
  t.equal(res.body, '# web\n\nA web server.\n');
  res = await call('viewer', 'GET', `${v110}/files/values.yaml`, fileT);
  t.match(res.body, /replicaCount: 1/);
  res = await call('viewer', 'GET', `${v110}/files/values.schema.json`, fileT);
  t.same(res.json(), JSON.parse(schema));
  res = await call('viewer', 'GET', `${v100}/files/Chart.yaml`, fileT);
  t.match(res.body, /name: web/);
  res = await call('viewer', 'GET', `${v100}/files/values.schema.json`, fileT);
  t.equal(res.statusCode, 404, 'no schema in 1.0.0');
  await call('viewer', 'GET', `${v100}/files/README.md`, fileT);
  await call('viewer', 'GET', `${v100}/files/templates%2Fconfigmap.yaml`, fileT);

  // checking values
  const validateT = `${versionT}/values/validate`;
  res = await call('viewer', 'POST', `${v100}/values/validate`, validateT, {
    headers: yamlBody,
    payload: 'replicaCount: 2\n',
  });
  t.same(res.json().valid, null);
  t.equal(res.json().hasSchema, false);
  res = await call('viewer', 'POST', `${v110}/values/validate`, validateT, {
    headers: yamlBody,
    payload: 'replicaCount: 2\nimage:\n  tag: "1.26"\n',
  });
  t.same(res.json(), { valid: true, hasSchema: true, errors: [] });
  res = await call('viewer', 'POST', `${v110}/values/validate`, validateT, {
    headers: { 'content-type': 'text/plain' },
    payload: 'replicaCount: 0\nimage:\n  tag: 7\n',
  });
  t.equal(res.json().valid, false);
  t.same(
    res
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['image.tag', 'replicaCount'],
  );
  res = await call('viewer', 'POST', `${v110}/values/validate`, validateT, {
    headers: yamlBody,
    payload: '- not\n- a mapping\n',
  });
  t.equal(res.json().code, 'validation-failed');
  res = await call('viewer', 'POST', `${v110}/values/validate`, validateT, { payload: { replicaCount: 2 } });
  t.equal(res.statusCode, 415);
  await call('anonymous', 'POST', `${v110}/values/validate`, validateT, {
    headers: yamlBody,
    payload: 'replicaCount: 2\n',
  });

  // the package
  const pkgT = `${versionT}/package`;
  res = await call('viewer', 'GET', `${v110}/package`, pkgT);
  t.equal(res.statusCode, 200);
  t.ok(res.rawPayload.equals(withSchema), 'the exact bytes');
  await call('viewer', 'GET', `${v110}/package`, pkgT, { headers: { 'if-none-match': String(res.headers.etag) } });
  const replacement = makeChart({ name: 'web', version: '1.1.0', schema, readme: '# web\n\nReplaced.\n' });
  res = await call('wsregular', 'PUT', `${v110}/package`, pkgT, { headers: gzip, payload: replacement });
  t.equal(res.statusCode, 200);
  t.equal(res.json().state, 'draft');
  mp = form(withSchema, { updateLog: 'put back' });
  res = await call('wsregular', 'PUT', `${v110}/package`, pkgT, { headers: mp.headers, payload: mp.payload });
  t.equal(res.json().updateLog, 'put back');
  res = await call('wsregular', 'PUT', `${v110}/package`, pkgT, {
    headers: gzip,
    payload: makeChart({ name: 'web', version: '1.2.0' }),
  });
  t.equal(res.json().code, 'chart-invalid');
  res = await call('wsregular', 'PUT', `${v100}/package`, pkgT, {
    headers: gzip,
    payload: makeChart({ name: 'web', version: '1.0.0' }),
  });
  t.equal(res.statusCode, 409, 'an active version cannot be replaced');
  t.equal(res.json().state, 'active');
  res = await call('wsregular', 'PUT', `${v110}/package`, pkgT, { payload: { chart: 'x' } });
  t.equal(res.statusCode, 415);
  await call('viewer', 'PUT', `${v110}/package`, pkgT, { headers: gzip, payload: withSchema });

  // the review queue
  const reviews = '/api/v1/reviews';
  res = await act('wsregular', v110, 'submit');
  t.equal(res.statusCode, 200);
  res = await call('reviewer', 'GET', reviews, reviews);
  t.same(
    res.json().items.map((i: { version: { version: string } }) => i.version.version),
    ['1.1.0'],
  );
  t.same(res.json().items[0].version.allowedActions, ['pass', 'reject']);
  t.equal(res.json().items[0].readme, '# web\n\nA web server.\n');
  res = await call('reviewer', 'GET', `${reviews}?status=processed`, reviews);
  t.same(
    res.json().items.map((i: { version: { version: string } }) => i.version.version),
    ['1.0.0'],
  );
  res = await call('reviewer', 'GET', `${reviews}?status=unprocessed&q=WEB&limit=1`, reviews);
  t.equal(res.json().items.length, 1);
  res = await call('reviewer', 'GET', `${reviews}?q=nothing-like-it`, reviews);
  t.same(res.json(), { items: [], nextCursor: null });
  await call('reviewer', 'GET', `${reviews}?status=pending`, reviews);
  await call('reviewer', 'GET', `${reviews}?cursor=not-one-of-ours`, reviews);
  await call('wsregular', 'GET', reviews, reviews);
  await call('anonymous', 'GET', reviews, reviews);
  res = await act('reviewer', v110, 'reject', 'the README is too short');
  t.equal(res.json().state, 'rejected');
  res = await call('reviewer', 'GET', `${reviews}?status=processed&limit=1`, reviews);
  t.type(res.json().nextCursor, 'string', 'a further page');
  res = await call(
    'reviewer',
    'GET',
    `${reviews}?status=processed&limit=1&cursor=${encodeURIComponent(res.json().nextCursor)}`,
    reviews,
  );
  t.equal(res.json().items.length, 1);

  // the store
  const store = '/api/v1/store/apps';
  res = await call('anonymous', 'GET', store, store);
  t.same(
    res.json().items.map((i: { name: string }) => i.name),
    ['web'],
  );
  t.equal(res.json().items[0].latestVersion.version, '1.0.0');
  t.equal(res.json().items[0].icon, '/api/v1/store/apps/web/icon');
  t.equal(res.json().total, 1);
  res = await call('anonymous', 'GET', `${store}?category=Databases&q=web&sort=name&limit=1`, store);
  t.equal(res.json().items.length, 1);
  res = await call('anonymous', 'GET', `${store}?category=${dbId}`, store);
  t.equal(res.json().items.length, 1);
  t.same(
    res.json().categories.map((c: { name: string; storeApps: number }) => `${c.name}:${c.storeApps}`),
    ['uncategorized:0', 'Databases:1', 'Web:0'],
  );
  res = await call('anonymous', 'GET', `${store}?category=uncategorized`, store);
  t.same(res.json().items, []);
  await call('anonymous', 'GET', `${store}?sort=popular`, store);
  await call('anonymous', 'GET', `${store}?cursor=not-one-of-ours`, store);
  await call('anonymous', 'GET', store, store, { headers: { authorization: basic('admin', 'wrong') } });
  res = await call('anonymous', 'GET', `${store}/web`, `${store}/{name}`);
  t.same(
    res.json().versions.map((v: { version: string }) => v.version),
    ['1.0.0'],
    'only active versions',
  );
  t.match(res.json().values, /replicaCount/);
  await call('anonymous', 'GET', `${store}/nope`, `${store}/{name}`);
  res = await call('anonymous', 'GET', `${store}/web/icon`, `${store}/{name}/icon`);
  t.equal(res.statusCode, 200);
  await call('anonymous', 'GET', `${store}/nope/icon`, `${store}/{name}/icon`);
  res = await call('anonymous', 'GET', '/store/index.yaml', '/store/index.yaml');
  t.same(Object.keys((yaml.load(res.body) as { entries: object }).entries), ['web']);
  t.equal((yaml.load(res.body) as { entries: { web: unknown[] } }).entries.web.length, 1, 'only the active version');
  await call('anonymous', 'GET', '/store/index.yaml', '/store/index.yaml', {
    headers: { 'if-none-match': String(res.headers.etag) },
  });
  await call('anonymous', 'GET', '/store/index.yaml', '/store/index.yaml', {
    headers: { authorization: basic('admin', 'wrong') },
  });
  res = await call('anonymous', 'GET', '/store/charts/web-1.0.0.tgz', '/store/charts/{file}');
  t.equal(res.statusCode, 200);
  await call('anonymous', 'GET', '/store/charts/web-1.0.0.tgz', '/store/charts/{file}', {
    headers: { 'if-none-match': String(res.headers.etag) },
  });
  await call('anonymous', 'GET', '/store/charts/web-1.1.0.tgz', '/store/charts/{file}');
  await call('anonymous', 'GET', '/store/charts/web-1.0.0.tgz.prov', '/store/charts/{file}');

  // suspending and activating the app, then a version
  const appActT = `${appT}/actions`;
  await call('wsregular', 'POST', `${web}/actions`, appActT, { payload: { action: 'suspend' } });
  await call('reviewer', 'POST', `${web}/actions`, appActT, { payload: { action: 'hide' } });
  res = await call('reviewer', 'POST', `${web}/actions`, appActT, {
    payload: { action: 'suspend', message: 'broken image' },
  });
  t.equal(res.json().suspended, true);
  res = await call('reviewer', 'POST', `${web}/actions`, appActT, { payload: { action: 'suspend' } });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'invalid-transition');
  t.equal(res.json().state, 'suspended');
  t.same(res.json().allowedActions, ['activate']);
  res = await call('anonymous', 'GET', store, store);
  t.equal(res.json().total, 0, 'a suspended app leaves the store');
  await call('anonymous', 'GET', `${store}/web`, `${store}/{name}`);
  res = await call('reviewer', 'POST', `${web}/actions`, appActT, { payload: { action: 'activate' } });
  t.equal(res.json().suspended, false);
  res = await act('reviewer', v100, 'suspend', 'CVE');
  t.equal(res.json().state, 'suspended');
  res = await act('reviewer', v100, 'activate');
  t.equal(res.json().state, 'active');

  // a chart name belongs in the store to the workspace that released it first
  await f.people.admin('POST', '/api/v1/workspaces', { name: 'other' });
  await f.people.addMembers('other');
  const otherWeb = '/api/v1/workspaces/other/apps/web';
  await call('wsregular', 'POST', '/api/v1/workspaces/other/apps', apps, {
    headers: gzip,
    payload: makeChart({ name: 'web', version: '2.0.0' }),
  });
  await call('wsregular', 'PATCH', otherWeb, appT, { payload: { category: 'uncategorized' } });
  await act('wsregular', `${otherWeb}/versions/2.0.0`, 'submit');
  await act('reviewer', `${otherWeb}/versions/2.0.0`, 'pass');
  res = await act('wsregular', `${otherWeb}/versions/2.0.0`, 'release');
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'store-name-taken');
  t.equal(res.json().owner, 'demo');

  // deleting
  res = await call('wsregular', 'DELETE', v100, versionT);
  t.equal(res.statusCode, 409, 'an active version cannot be deleted');
  t.equal(res.json().code, 'invalid-transition');
  t.equal(res.json().state, 'active');
  await call('viewer', 'DELETE', v110, versionT);
  res = await call('wsregular', 'DELETE', v110, versionT);
  t.equal(res.statusCode, 204, 'a rejected version can be deleted');
  await call('wsregular', 'DELETE', v110, versionT);
  res = await call('wsregular', 'DELETE', web, appT);
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'app-not-empty');
  await act('reviewer', v100, 'suspend');
  res = await call('reviewer', 'DELETE', v100, versionT);
  t.equal(res.statusCode, 204, 'a reviewer may delete a suspended version');
  await call('viewer', 'DELETE', web, appT);
  res = await call('wsregular', 'DELETE', web, appT);
  t.equal(res.statusCode, 204);
  await call('wsregular', 'DELETE', web, appT);
  res = await call('reviewer', 'DELETE', `${cats}/${dbId}`, catT);
  t.equal(res.statusCode, 204, 'an empty category can be deleted');
  await call('reviewer', 'DELETE', `${cats}/${dbId}`, catT);

  // the contract and the docs
  res = await call('anonymous', 'GET', '/openapi.json', '/openapi.json');
  t.same(res.json(), spec, '/openapi.json is openapi.yaml as JSON');
  await call('anonymous', 'GET', '/openapi.json', '/openapi.json', {
    headers: { authorization: basic('admin', 'wrong') },
  });
  res = await call('anonymous', 'GET', '/docs', '/docs');
  t.equal(res.statusCode, 200);
  t.match(res.body, /swagger/i);
  await call('anonymous', 'GET', '/docs', '/docs', { headers: { authorization: basic('admin', 'wrong') } });
});

t.test('a store that is not public answers 401 as documented', async (t) => {
  const { app } = await testApp(t, { env: { CHARTROOM_STORE_PUBLIC: 'false' } });
  for (const [url, template] of [
    ['/store/index.yaml', '/store/index.yaml'],
    ['/store/charts/web-1.0.0.tgz', '/store/charts/{file}'],
    ['/api/v1/store/apps', '/api/v1/store/apps'],
    ['/api/v1/store/apps/web', '/api/v1/store/apps/{name}'],
    ['/api/v1/store/apps/web/icon', '/api/v1/store/apps/{name}/icon'],
    ['/api/v1/categories', '/api/v1/categories'],
    ['/api/v1/categories/uncategorized', '/api/v1/categories/{id}'],
    ['/api/v1/categories/uncategorized/icon', '/api/v1/categories/{id}/icon'],
  ] as const) {
    const anonymous = await app.inject({ method: 'GET', url });
    t.equal(anonymous.statusCode, 401, `${url}: anonymous callers are refused`);
    conforms(t, anonymous, 'GET', template);
    const signedIn = await app.inject({ method: 'GET', url, headers: { authorization: adminAuth } });
    t.not(signedIn.statusCode, 401, `${url}: signed-in users are let in`);
    conforms(t, signedIn, 'GET', template);
  }
  for (const [url, template] of [
    ['/openapi.json', '/openapi.json'],
    ['/docs', '/docs'],
  ] as const) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${url} stays public`);
    conforms(t, res, 'GET', template);
  }
});

t.test('rate-limited sign-ins answer 429 as documented', async (t) => {
  const { app } = await testApp(t);
  const wrong = { authorization: basic('mallory', 'guessing') };
  // The default limit: 10 failures per username and address in 15 minutes.
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: wrong });
    t.equal(res.statusCode, 401, `failure ${i + 1} is refused with 401`);
  }
  for (const [url, template] of [
    ['/api/v1/me', '/api/v1/me'],
    ['/api/v1/users', '/api/v1/users'],
    ['/healthz', '/healthz'],
    ['/api/workspaces/demo/charts', '/api/workspaces/{ws}/charts'],
  ] as const) {
    const res = await app.inject({ method: 'GET', url, headers: wrong });
    t.equal(res.statusCode, 429, `${url}: rate-limited`);
    t.match(String(res.headers['retry-after']), /^[1-9]\d*$/, `${url}: Retry-After in seconds`);
    conforms(t, res, 'GET', template);
  }
  const anonymous = await app.inject({ method: 'GET', url: '/api/v1/me' });
  t.equal(anonymous.statusCode, 401, 'requests without credentials are not limited');
});

t.test('an upload over the limit answers 413 as documented', async (t) => {
  const { app } = await testApp(t, { env: { CHARTROOM_MAX_UPLOAD_BYTES: '1024' } });
  await createWorkspace(app);
  const big = makeChart({ name: 'big', version: '1.0.0', extra: [{ path: 'big/noise.bin', body: randomBytes(8192) }] });
  for (const form of [false, true]) {
    const mp = multipart({ chart: { filename: 'big-1.0.0.tgz', data: big } });
    const res = await app.inject({
      method: 'POST',
      url: '/api/workspaces/demo/charts',
      headers: form
        ? { authorization: adminAuth, ...mp.headers }
        : { authorization: adminAuth, 'content-type': 'application/gzip' },
      payload: form ? mp.payload : big,
    });
    t.equal(res.statusCode, 413, form ? 'multipart' : 'raw body');
    conforms(t, res, 'POST', '/api/workspaces/{ws}/charts');
  }
});
