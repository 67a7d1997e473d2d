// Soon after start and then every hour, expires abandoned OCI upload sessions and drops
// OCI manifests whose package was replaced since, then removes blobs that no row
// references (left by crashed or abandoned uploads), and
// the blob store's leftovers of crashed writes (temp files, incomplete multipart
// uploads), once they are older than the grace period. It also drops failed sign-ins
// whose window has passed (sign-ins prune as they go; this covers quiet times) and each
// imported repository's events beyond its newest 2,000.
import fp from 'fastify-plugin';
import { sweepOrphanBlobs } from '../blobs/references.js';
import { expireUploads } from '../oci/uploads.js';
import { pruneStaleManifests } from '../oci/manifests.js';
import { pruneSignInFailures } from '../accounts/rate-limit.js';
import { pruneRepoEvents } from '../imports/repo-events.js';

const SWEEP_EVERY_MS = 60 * 60 * 1000;

export default fp(
  async (app) => {
    let timer: NodeJS.Timeout | null = null;
    let first: NodeJS.Timeout | null = null;
    const sweep = async () => {
      try {
        // First OCI upload sessions and links idle for the grace period: the blobs only
        // they kept are then orphans the blob sweep below removes.
        const grace = app.config.blobGraceSeconds;
        const expired = await expireUploads(app.db, new Date(Date.now() - grace * 1000));
        if (expired.uploads > 0 || expired.links > 0) app.log.info(expired, 'expired idle OCI uploads and links');
        // And OCI manifests of packages since replaced: the blobs only they named go below.
        const stale = await pruneStaleManifests(app.db);
        if (stale.manifests > 0) {
          app.log.info({ manifests: stale.manifests }, 'dropped OCI manifests of replaced packages');
        }
        const removed = await sweepOrphanBlobs(app.db, app.blobs, app.config.blobGraceSeconds);
        if (removed.blobs > 0 || removed.leftovers > 0) {
          app.log.info(removed, 'swept unreferenced blobs and leftovers of crashed writes');
        }
        app.chartroomMetrics.sweepFinished('ok', { ...removed, uploads: expired.uploads });
      } catch (err) {
        app.log.warn({ err }, 'blob sweep failed; will retry');
        app.chartroomMetrics.sweepFinished('failed', { blobs: 0, leftovers: 0, uploads: 0 });
      }
      try {
        const failures = await pruneSignInFailures(app.db);
        if (failures > 0) app.log.info({ failures }, 'pruned expired failed sign-ins');
      } catch (err) {
        app.log.warn({ err }, 'pruning failed sign-ins failed; will retry');
      }
      try {
        const events = await pruneRepoEvents(app.db);
        if (events > 0) app.log.info({ events }, "pruned imported repositories' oldest events");
      } catch (err) {
        app.log.warn({ err }, "pruning imported repositories' events failed; will retry");
      }
    };
    let running: Promise<void> | null = null;
    const sweepOnce = () => {
      running ??= sweep().finally(() => (running = null));
      return running;
    };
    app.addHook('onReady', async () => {
      // Once soon after start as well: what a crash (kill -9 mid-upload) left behind goes
      // as soon as it is older than the grace period, not an hour later. Not at once:
      // listing a large bucket costs CPU the first requests after a start need more
      // (100,000 blobs in MinIO: about 2 s of parsing listings, which doubled the first
      // index answer's time at 100k versions).
      first = setTimeout(() => void sweepOnce(), app.config.blobSweepDelaySeconds * 1000);
      first.unref();
      timer = setInterval(() => void sweepOnce(), SWEEP_EVERY_MS);
      timer.unref();
    });
    app.addHook('preClose', async () => {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      await running;
    });
  },
  { name: 'chartroom-sweeper', dependencies: ['chartroom-storage'] },
);
