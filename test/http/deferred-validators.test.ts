// Request validators compiled on first use: they validate, coerce and report exactly as
// Fastify's own compiled ones do, compile once, and compileAll finds a broken schema
// without a request.
import t from 'tap';
import Fastify, { type FastifySchema } from 'fastify';
import AjvCompiler from '@fastify/ajv-compiler';
import { deferredValidators } from '../../src/http/deferred-validators.js';

const schema: FastifySchema = {
  body: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 2 }, size: { type: 'integer', default: 7 } },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { n: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
  },
  params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } },
};

/** The same app with either Fastify's compiler or the deferred one; counts compilations. */
async function appWith(deferred: boolean) {
  let compiled = 0;
  const build = AjvCompiler();
  const counting: typeof build = (externals, options) => {
    const compile = build(externals, options);
    return (route) => {
      compiled++;
      return compile(route);
    };
  };
  const validators = deferredValidators(counting);
  const app = Fastify({
    ajv: { customOptions: { removeAdditional: false } },
    ...(deferred ? { schemaController: { compilersFactory: { buildValidator: validators.buildValidator } } } : {}),
  });
  app.post('/things/:id', { schema }, async (req) => ({ body: req.body, query: req.query, params: req.params }));
  app.get(
    '/other',
    { schema: { querystring: { type: 'object', properties: { x: { type: 'integer' } } } } },
    () => 'ok',
  );
  await app.ready();
  return { app, validators, compiled: () => compiled };
}

const requests = [
  { url: '/things/3?n=5&tags=a&tags=b', payload: { name: 'web' } },
  { url: '/things/3?n=5', payload: { name: 'w' } },
  { url: '/things/3?n=five', payload: { name: 'web' } },
  { url: '/things/0', payload: { name: 'web' } },
  { url: '/things/3', payload: { name: 'web', extra: 1 } },
  { url: '/things/3', payload: {} },
  { url: '/things/3?tags=one', payload: { name: 'web', size: 9 } },
];

t.test('answers exactly as the validators Fastify compiles at start-up', async (t) => {
  const eager = await appWith(false);
  const lazy = await appWith(true);
  t.teardown(() => Promise.all([eager.app.close(), lazy.app.close()]));
  t.equal(lazy.compiled(), 0, 'nothing is compiled at start-up');
  t.equal(eager.compiled(), 0, 'the counting compiler is only used by the deferred app');
  for (const r of requests) {
    const [a, b] = await Promise.all(
      [eager.app, lazy.app].map((app) => app.inject({ method: 'POST', url: r.url, payload: r.payload })),
    );
    t.equal(b!.statusCode, a!.statusCode, `${r.url} ${JSON.stringify(r.payload)}: status ${a!.statusCode}`);
    t.same(b!.json(), a!.json(), `${r.url} ${JSON.stringify(r.payload)}: the same body`);
  }
  // A failure names the problem as Fastify's own does (ajv's errors reach the answer).
  const bad = await lazy.app.inject({ method: 'POST', url: '/things/3', payload: { name: 'w' } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, /body\/name must NOT have fewer than 2 characters/);
  // Coercion and defaults apply: the integer from the query string, the default size.
  const ok = await lazy.app.inject({ method: 'POST', url: '/things/3?n=5&tags=a', payload: { name: 'web' } });
  t.same(ok.json(), { body: { name: 'web', size: 7 }, query: { n: 5, tags: ['a'] }, params: { id: 3 } });
  t.equal(lazy.compiled(), 3, "each of the route's three parts was compiled once, whatever the number of requests");
  t.equal(
    lazy.validators.compileAll(),
    2,
    'compileAll compiles what no request needed yet: the other route and its HEAD twin',
  );
  t.equal(lazy.compiled(), 5);
  t.equal(lazy.validators.compileAll(), 0, 'and nothing twice');
});

t.test('a schema that cannot compile: compileAll throws, a request gets a 500 and the server goes on', async (t) => {
  const validators = deferredValidators();
  const app = Fastify({ schemaController: { compilersFactory: { buildValidator: validators.buildValidator } } });
  t.teardown(() => app.close());
  app.post('/broken', { schema: { body: { type: 'object', properties: { a: { $ref: '#/nowhere' } } } } }, () => 'x');
  app.get('/fine', () => 'fine');
  await app.ready();
  t.throws(() => validators.compileAll(), /nowhere/, 'the broken reference is named');
  const res = await app.inject({ method: 'POST', url: '/broken', payload: { a: 1 } });
  t.equal(res.statusCode, 500);
  t.equal((await app.inject({ method: 'GET', url: '/fine' })).body, 'fine');
});
