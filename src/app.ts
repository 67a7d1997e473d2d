// buildApp(config): plugins, then routes. No listening here, so tests can inject.
import Fastify, { type FastifyInstance, type FastifyPluginCallback, type FastifySchema } from 'fastify';
import multipart from '@fastify/multipart';
import metricsModule from 'fastify-metrics';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import storage from './plugins/storage.js';
import auth from './plugins/auth.js';
import errors from './plugins/errors.js';
import sweeper from './plugins/sweeper.js';
import indexWarmup from './plugins/index-warmup.js';
import importer from './plugins/importer.js';
import appMetrics from './plugins/app-metrics.js';
import unreadBodies from './plugins/unread-bodies.js';
import opsRoutes from './routes/ops.js';
import helmRepoRoutes from './routes/helm-repo.js';
import chartMuseumRoutes from './routes/chartmuseum.js';
import ociRoutes from './routes/oci.js';
import workspaceRoutes from './routes/workspaces.js';
import repoRoutes from './routes/repos.js';
import appRoutes from './routes/apps.js';
import versionRoutes from './routes/versions.js';
import reviewRoutes from './routes/reviews.js';
import categoryRoutes from './routes/categories.js';
import { storeApiRoutes, storeRepoRoutes } from './routes/store.js';
import docs from './plugins/docs.js';
import consolePlugin from './plugins/console.js';
import userRoutes from './routes/users.js';
import roleRoutes from './routes/roles.js';
import type { SignInLimits } from './accounts/rate-limit.js';
import { access, type Access } from './http/access.js';
import accessPlugin from './plugins/access.js';
import type { ScryptCost } from './accounts/passwords.js';
import * as contract from './http/contract.generated.js';
import { deferredValidators } from './http/deferred-validators.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles every request validator not compiled yet (they compile on first use); how many. */
    compileValidators(): number;
  }
}

// fastify-metrics is CommonJS with a default export; under NodeNext it arrives wrapped.
type MetricsPlugin = FastifyPluginCallback<{
  endpoint: { url: string; method: 'GET'; config: { access: Access } };
  clearRegisterOnInit: boolean;
  routeMetrics: {
    enabled: { histogram: boolean; summary: boolean };
    overrides: { summary: { registers: never[] } };
  };
}>;
const metrics = ((metricsModule as unknown as { default?: MetricsPlugin }).default ?? metricsModule) as MetricsPlugin;

export interface BuildOptions {
  /** An already open database (tests); otherwise opened from config. */
  db?: Database;
  /** Pino logger options or false; defaults to JSON logs at config.logLevel. */
  logger?: boolean | object;
  /** Called for every route as it is added (tests use it to list the served routes). */
  onRoute?: (route: { method: string | string[]; url: string; schema?: FastifySchema; access?: Access }) => void;
  /** Failed sign-in limits (tests lower them). */
  signInLimits?: SignInLimits;
  /** The clock sign-in limits count time by, in ms since the epoch (tests move it); Date.now by default. */
  signInClock?: () => number;
  /** scrypt cost for new password hashes. Tests only: production never sets it and gets
   * OWASP's minimum (N=2^17, r=8, p=1); a hash below the cost in force is redone at sign-in. */
  scryptCost?: ScryptCost;
  /** Where the built web console is (dist/console by default). */
  consoleDir?: string;
}

// Every operation's request schema comes from the contract (src/http/contract.generated.ts,
// from openapi/openapi.yaml). A route served at an operation's path that validates
// something must use that operation's schema object, and no other route may use it:
// a mix-up stops start-up.
const CONTRACT_SCHEMAS = new Map<unknown, string>(
  Object.entries(contract.operationRoutes).map(([id, where]) => [
    contract[id as keyof typeof contract.operationRoutes],
    where,
  ]),
);
const CONTRACT_ROUTES = new Map([...CONTRACT_SCHEMAS].map(([schema, where]) => [where, schema as object]));

function checkContract(method: string | string[], url: string, schema: unknown): void {
  for (const m of [method].flat()) {
    if (m === 'HEAD') continue; // Fastify's HEAD twin of a GET shares its schema
    const where = `${m} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
    const owner = CONTRACT_SCHEMAS.get(schema);
    const expected = CONTRACT_ROUTES.get(where);
    if (owner !== undefined && owner !== where) {
      throw new Error(`${where} uses the request schema of ${owner} (src/http/contract.generated.ts)`);
    }
    if (expected && Object.keys(expected).length > 0 && schema !== expected) {
      throw new Error(`${where} must take its request schema from src/http/contract.generated.ts`);
    }
  }
}

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const validators = deferredValidators();
  const app = Fastify({
    logger: opts.logger ?? {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    bodyLimit: 1024 * 1024,
    // Slow or stalled clients must not hold sockets for ever (Fastify's defaults are 0,
    // meaning no limit): the whole request, its headers, silence on the socket and idle
    // keep-alive connections are each bounded (CHARTROOM_*_TIMEOUT_SECONDS).
    requestTimeout: config.timeouts.requestMs,
    connectionTimeout: config.timeouts.idleMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    http: {
      headersTimeout: config.timeouts.headersMs,
      // How often Node checks the request and headers limits (its default is 30 s).
      connectionsCheckingInterval: Math.min(5_000, Math.ceil(config.timeouts.headersMs / 2)),
    },
    // Opening PGlite and running migrations can take well over Fastify's default 10 s
    // on a small, busy machine; a start that truly hangs is still stopped eventually.
    pluginTimeout: 120_000,
    trustProxy: config.trustProxy,
    // Workspace and chart names are case-sensitive, and Helm never sends trailing slashes.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 512 },
    // Unknown body properties are errors, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // Validators compile on first use instead of during start-up (src/http/deferred-validators.ts).
    // Fastify then treats the compiler as a custom one, which only changes header
    // schemas (it would not lower-case their keys): no route has one.
    schemaController: { compilersFactory: { buildValidator: validators.buildValidator } },
  });
  app.decorate('compileValidators', () => validators.compileAll());
  app.addHook('onRoute', (route) => checkContract(route.method, route.url, route.schema));
  // Registered before any plugin so that it sees every route, including plugins' own.
  const onRoute = opts.onRoute;
  if (onRoute) {
    app.addHook('onRoute', (route) =>
      onRoute({
        method: route.method,
        url: route.url,
        schema: route.schema,
        // Read late: plugins such as the docs set their routes' rule in their own hooks.
        get access() {
          return route.config?.access;
        },
      }),
    );
  }

  await app.register(errors);
  await app.register(unreadBodies);
  await app.register(storage, { config, db: opts.db });
  await app.register(auth, {
    signInLimits: opts.signInLimits,
    signInClock: opts.signInClock,
    scryptCost: opts.scryptCost,
  });
  await app.register(accessPlugin);
  await app.register(sweeper);
  await app.register(indexWarmup);
  await app.register(importer);
  await app.register(multipart, { throwFileSizeLimit: true });
  await app.register(metrics, {
    endpoint: { url: '/metrics', method: 'GET', config: { access: access.public } },
    clearRegisterOnInit: true,
    // Request latency as a histogram only: Prometheus takes quantiles from it. The
    // plugin's summary keeps sliding quantile trees per route and status, about a tenth
    // of the server's own CPU per cached index GET (a profile of the store index at
    // 16,000 req/s), for dashboards the histogram already serves.
    // (The plugin makes the summary anyway: registered nowhere, it is not served empty.)
    routeMetrics: { enabled: { histogram: true, summary: false }, overrides: { summary: { registers: [] } } },
  });
  await app.register(appMetrics);

  // Raw chart uploads (`curl --data-binary @chart.tgz`) arrive with many content
  // types; the body is handed over as a stream and ingest enforces the limits.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  // Route files write their paths below these prefixes.
  await app.register(opsRoutes);
  await app.register(helmRepoRoutes, { prefix: '/workspaces' });
  await app.register(storeRepoRoutes, { prefix: '/store' });
  // The trailing slash scopes ChartMuseum's not-found handler to exactly the URLs
  // under /api/workspaces/ (a prefix without it would also take /api/workspaces).
  await app.register(chartMuseumRoutes, { prefix: '/api/workspaces/' });
  await app.register(ociRoutes, { prefix: '/v2' });
  await app.register(userRoutes, { prefix: '/api/v1' });
  await app.register(roleRoutes, { prefix: '/api/v1/roles' });
  await app.register(workspaceRoutes, { prefix: '/api/v1/workspaces' });
  await app.register(repoRoutes, { prefix: '/api/v1/workspaces/:ws/repos' });
  await app.register(appRoutes, { prefix: '/api/v1/workspaces/:ws/apps' });
  await app.register(versionRoutes, { prefix: '/api/v1/workspaces/:ws/apps/:app/versions' });
  await app.register(reviewRoutes, { prefix: '/api/v1/reviews' });
  await app.register(categoryRoutes, { prefix: '/api/v1/categories' });
  await app.register(storeApiRoutes, { prefix: '/api/v1/store/apps' });
  await app.register(docs);
  await app.register(consolePlugin, { dir: opts.consoleDir });
  return app;
}
