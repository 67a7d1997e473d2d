// Database (with migrations) and blob store, opened before routes and closed last.
import fp from 'fastify-plugin';
import path from 'node:path';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { openBlobStore, type BlobStore } from '../blobs/index.js';
import { IndexService } from '../index/repo-index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    blobs: BlobStore;
    indexes: IndexService;
  }
}

export interface StorageOptions {
  config: Config;
  /** Tests may hand in an already open database (e.g. a fresh Postgres schema). */
  db?: Database;
}

export default fp<StorageOptions>(
  async (app, opts) => {
    const db =
      opts.db ??
      (await openDatabase({ url: opts.config.databaseUrl, pgliteDir: path.join(opts.config.dataDir, 'pg') }));
    const applied = await migrate(db);
    if (applied.length > 0) app.log.info({ migrations: applied }, 'applied database migrations');
    const blobs = await openBlobStore(opts.config);
    app.decorate('config', opts.config);
    app.decorate('db', db);
    app.decorate('blobs', blobs);
    const indexes = new IndexService(db, {
      format: opts.config.indexFormat,
      maxBytes: opts.config.indexCacheBytes,
      plainMaxBytes: opts.config.indexPlainMaxBytes,
    });
    app.decorate('indexes', indexes);
    app.addHook('onClose', async () => {
      // Index text already served may still be waiting to be stored.
      await indexes.stored();
      await blobs.close();
      if (!opts.db) await db.close();
    });
  },
  { name: 'chartroom-storage' },
);
