// After a start, the indexes most likely to be asked for are loaded in the background:
// the store's, then the workspaces' whose contents changed most recently, one at a time,
// at most CHARTROOM_INDEX_WARM_REPOS of them and while less than half of the index
// memory is held. Serving does not wait for it: a request for an index being loaded
// joins that load (IndexService runs one refresh per repository), and one for an index
// not loaded yet loads it as before. What it saves is the first request's wait: at
// 100,000 versions, reading the fragments back takes about as long as checking a
// password with scrypt, and the two now overlap instead of adding up.
import fp from 'fastify-plugin';
import { storeIndex, workspaceIndex } from '../http/repo-indexes.js';
import { listRecentlyRevised } from '../workspaces/workspaces.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves when the loading of indexes after start has ended (at once before listen or when off). */
    indexesWarmed(): Promise<void>;
  }
}

export default fp(
  async (app) => {
    const limit = app.config.indexWarmRepos;
    let stopping = false;
    let running: Promise<void> | null = null;

    const warm = async (): Promise<void> => {
      const started = process.hrtime.bigint();
      const room = () => !stopping && app.indexes.heldBytes < app.indexes.maxBytes / 2;
      let loaded = 0;
      await storeIndex(app);
      loaded++;
      if (limit > 1 && room()) {
        for (const workspace of await listRecentlyRevised(app.db, limit - 1)) {
          if (!room()) break;
          await workspaceIndex(app, workspace);
          loaded++;
        }
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      app.log.info({ indexes: loaded, seconds: Number(seconds.toFixed(3)) }, 'indexes loaded after start');
    };

    app.decorate('indexesWarmed', async () => {
      await running;
    });
    app.addHook('onListen', (done) => {
      if (limit > 0 && !running) {
        running = warm().catch((err: unknown) => {
          // Only a head start: each index still loads on its first request.
          if (!stopping) app.log.warn({ err }, 'loading indexes after start failed');
        });
      }
      done();
    });
    app.addHook('preClose', async () => {
      stopping = true;
      await running;
    });
  },
  { name: 'chartroom-index-warmup', dependencies: ['chartroom-storage'] },
);
