// Chartroom's own metrics in /metrics, beside fastify-metrics' request histograms and
// prom-client's process defaults: index refreshes, repository syncs and the blob sweep.
// docs/operations.md lists every metric and what to alert on. Made after fastify-metrics
// (which clears the registry when an app starts), in prom-client's default registry.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type * as PromClient from 'prom-client';
import { countFailing } from '../imports/schedule.js';

export interface ChartroomMetrics {
  syncFinished(outcome: 'successful' | 'failed' | 'interrupted', seconds: number): void;
  sweepFinished(outcome: 'ok' | 'failed', removed: { blobs: number; leftovers: number; uploads: number }): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    chartroomMetrics: ChartroomMetrics;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const client = (app as unknown as { metrics: { client: typeof PromClient } }).metrics.client;
    const indexRefresh = new client.Histogram({
      name: 'chartroom_index_refresh_seconds',
      help: 'Time to bring a cached Helm index up to date after a change (or build it cold), by repository kind',
      labelNames: ['repository'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const indexRendered = new client.Counter({
      name: 'chartroom_index_fragments_rendered_total',
      help: 'Chart names whose index entries this replica rendered from their versions',
      labelNames: ['repository'],
    });
    const indexStoreFailures = new client.Counter({
      name: 'chartroom_index_store_failures_total',
      help: 'Write-backs of rendered index text that failed (the names are rendered again by the next reader)',
    });
    const syncs = new client.Counter({
      name: 'chartroom_import_syncs_total',
      help: 'Imported-repository syncs run by this replica, by outcome',
      labelNames: ['outcome'],
    });
    const syncSeconds = new client.Histogram({
      name: 'chartroom_import_sync_seconds',
      help: 'Duration of imported-repository syncs',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    });
    // Registered on creation; read when /metrics is scraped.
    const FAILING = 'chartroom_import_repositories_failing';
    // eslint-disable-next-line no-new -- prom-client registers a metric as it is made
    new client.Gauge({
      name: FAILING,
      help: 'Imported repositories whose last sync failed (all replicas, read from the database)',
      async collect() {
        this.set(await countFailing(app.db).catch(() => Number.NaN));
      },
    });
    const PLAIN_FILES = 'chartroom_index_plain_file_bytes';
    // eslint-disable-next-line no-new -- prom-client registers a metric as it is made
    new client.Gauge({
      name: PLAIN_FILES,
      help: 'Bytes of plain index pages this replica keeps in files for identity answers of indexes held compressed',
      collect() {
        this.set(app.indexes.files?.bytes ?? 0);
      },
    });
    const sweeps = new client.Counter({
      name: 'chartroom_blob_sweeps_total',
      help: 'Blob sweeps run by this replica, by outcome',
      labelNames: ['outcome'],
    });
    const swept = new client.Counter({
      name: 'chartroom_blob_sweep_removed_total',
      help: 'What blob sweeps removed: unreferenced blobs, leftovers of crashed writes, expired OCI upload sessions',
      labelNames: ['kind'],
    });

    // Its collect reads the database: not once this app (and its database) is gone.
    app.addHook('onClose', async () => {
      client.register.removeSingleMetric(FAILING);
      client.register.removeSingleMetric(PLAIN_FILES);
    });
    app.indexes.observe = (repository, seconds, renderedNames) => {
      indexRefresh.observe({ repository }, seconds);
      if (renderedNames > 0) indexRendered.inc({ repository }, renderedNames);
    };
    app.indexes.onStoreFailed = (err) => {
      indexStoreFailures.inc();
      app.log.warn({ err }, 'storing rendered index text failed; the next reader renders it again');
    };
    app.decorate<ChartroomMetrics>('chartroomMetrics', {
      syncFinished(outcome, seconds) {
        syncs.inc({ outcome });
        syncSeconds.observe(seconds);
      },
      sweepFinished(outcome, removed) {
        sweeps.inc({ outcome });
        swept.inc({ kind: 'blob' }, removed.blobs);
        swept.inc({ kind: 'leftover' }, removed.leftovers);
        swept.inc({ kind: 'upload' }, removed.uploads);
      },
    });
  },
  { name: 'chartroom-metrics', dependencies: ['chartroom-storage'] },
);
