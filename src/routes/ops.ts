// Liveness, readiness, at the root (no prefix). Metrics are served by fastify-metrics at /metrics.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { access } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

const opsRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get('/healthz', { schema: contract.getHealth, config: { access: access.public } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', { schema: contract.getReadiness, config: { access: access.public } }, async () => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const [name, probe] of [
      ['database', () => app.db.ping()],
      ['blobStore', () => app.blobs.ping()],
    ] as const) {
      try {
        await probe();
        checks[name] = 'ok';
      } catch (err) {
        ready = false;
        checks[name] = `unreachable: ${(err as Error).message}`;
      }
    }
    if (!ready) throw new AppError('unavailable', 'not ready: a dependency is unreachable', { checks });
    return { status: 'ready', checks };
  });
};

export default opsRoutes;
