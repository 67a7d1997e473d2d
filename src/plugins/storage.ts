// Database (with migrations) and blob store, opened before routes and closed last.
import fp from 'fastify-plugin';
import path from 'node:path';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { openBlobStore, type BlobStore } from '../blobs/index.js';
import type { FastifyInstance } from 'fastify';
import { IndexService } from '../index/repo-index.js';
import { PlainFiles } from '../index/plain-files.js';

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

/** The plain files of large indexes (plain-files.ts), or null (with a warning) when the directory cannot be made. */
function openPlainFiles(app: FastifyInstance, root: string): PlainFiles | null {
  try {
    const files = PlainFiles.open(root);
    files.onFailed = (err) =>
      app.log.warn({ err, dir: files.dir }, 'writing an index page file failed: no more are written until a restart');
    return files;
  } catch (err) {
    app.log.warn(
      { err, dir: root },
      'index pages cannot be kept in files: identity answers of large indexes inflate them',
    );
    return null;
  }
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
      plainFiles: openPlainFiles(app, path.join(opts.config.dataDir, 'index-pages')),
    });
    app.decorate('indexes', indexes);
    app.addHook('onClose', async () => {
      // Index text already served may still be waiting to be stored.
      await indexes.close();
      await blobs.close();
      if (!opts.db) await db.close();
    });
  },
  { name: 'chartroom-storage' },
);
