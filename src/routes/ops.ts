// Liveness, readiness. Metrics are served by fastify-metrics at /metrics.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { access } from '../http/access.js';

export default async function opsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { access: access.public } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: access.public } }, async () => {
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
}
