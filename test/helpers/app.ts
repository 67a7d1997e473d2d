// Builds a real app for a test on a fresh database (in-memory PGlite, or a new
// Postgres database dropped afterwards) and a fresh blob store (temp dir, or a new
// MinIO bucket removed afterwards). Nothing is shared between tests.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import * as Minio from 'minio';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { ensureAdmin } from '../../src/accounts/bootstrap.js';
import { need, type Engine, type Store } from './env.js';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const ADMIN_PASSWORD = 'admin-password-for-tests';
/** Tests hash passwords cheaply (production uses OWASP's N=2^17, ~128 MiB and a few
 * hundred ms a hash); suites create many users. test/accounts/accounts.test.ts checks the real cost. */
export const TEST_SCRYPT_COST = { N: 1024, r: 8, p: 1 };
export const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function tempDir(t: Teardown, prefix = 'chartroom-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A new, empty Postgres database; returns its URL and drops it in teardown. */
export async function freshPostgres(t: Teardown): Promise<string> {
  const adminUrl = need('CHARTROOM_TEST_PG_URL', 'Postgres suites need a server');
  const name = `chartroom_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function freshDatabase(t: Teardown, engine: Engine): Promise<Database> {
  const db =
    engine === 'postgres'
      ? await openDatabase({ url: await freshPostgres(t), pgliteDir: null })
      : await openDatabase({ url: null, pgliteDir: null });
  t.teardown(() => db.close());
  return db;
}

export function s3Env(bucket: string): Record<string, string> {
  return {
    S3_ENDPOINT: need('CHARTROOM_TEST_S3_ENDPOINT', 'S3 suites need MinIO'),
    S3_ACCESS_KEY: need('CHARTROOM_TEST_S3_ACCESS_KEY', 'S3 suites need MinIO credentials'),
    S3_SECRET_KEY: need('CHARTROOM_TEST_S3_SECRET_KEY', 'S3 suites need MinIO credentials'),
    S3_BUCKET: bucket,
  };
}

/** A bucket name for one test, emptied and removed in teardown. */
export function freshBucket(t: Teardown): string {
  const bucket = `chartroom-t-${randomBytes(5).toString('hex')}`;
  t.teardown(async () => {
    const env = s3Env(bucket);
    const u = new URL(env.S3_ENDPOINT as string);
    const client = new Minio.Client({
      endPoint: u.hostname,
      port: Number(u.port),
      useSSL: false,
      accessKey: env.S3_ACCESS_KEY as string,
      secretKey: env.S3_SECRET_KEY as string,
      pathStyle: true,
    });
    if (!(await client.bucketExists(bucket))) return;
    const names: string[] = [];
    for await (const o of client.listObjectsV2(bucket, '', true) as AsyncIterable<Minio.BucketItem>) {
      if (o.name) names.push(o.name);
    }
    if (names.length) await client.removeObjects(bucket, names);
    await client.removeBucket(bucket);
  });
  return bucket;
}

export async function storeEnv(t: Teardown, store: Store): Promise<Record<string, string>> {
  const dataDir = await tempDir(t);
  return store === 's3' ? { CHARTROOM_DATA_DIR: dataDir, ...s3Env(freshBucket(t)) } : { CHARTROOM_DATA_DIR: dataDir };
}

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  config: Config;
}

export async function testApp(
  t: Teardown,
  opts: {
    engine?: Engine;
    store?: Store;
    env?: Record<string, string>;
    onRoute?: BuildOptions['onRoute'];
    /** Collects the app's JSON log lines (level trace) here. */
    logLines?: string[];
    /** An open database to use (several apps on one database); otherwise a fresh one. */
    db?: Database;
    /** The built console to serve; by default none (the page answers 503), so that a
     * test's results do not depend on whether `npm run build` ran. */
    consoleDir?: string;
  } = {},
): Promise<TestApp> {
  // The first blob sweep at once (a server waits CHARTROOM_BLOB_SWEEP_DELAY_SECONDS).
  const env = {
    ...(await storeEnv(t, opts.store ?? 'disk')),
    LOG_LEVEL: 'silent',
    CHARTROOM_BLOB_SWEEP_DELAY_SECONDS: '0',
    ...opts.env,
  };
  const config = loadConfig(env);
  const db = opts.db ?? (await freshDatabase(t, opts.engine ?? 'pglite'));
  const lines = opts.logLines;
  const logger = lines
    ? {
        level: 'trace',
        stream: new Writable({
          write(chunk, _enc, cb) {
            lines.push(String(chunk));
            cb();
          },
        }),
      }
    : false;
  const app = await buildApp(config, {
    db,
    logger,
    onRoute: opts.onRoute,
    scryptCost: TEST_SCRYPT_COST,
    consoleDir: opts.consoleDir ?? path.join(os.tmpdir(), 'chartroom-no-console'),
  });
  t.teardown(() => app.close());
  await app.ready();
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  return { app, db, config };
}

/** Another app instance on an open database (a replica, or the same server restarted); not listening. */
export async function replicaApp(t: Teardown, db: Database, env: Record<string, string>): Promise<FastifyInstance> {
  const app = await buildApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }), {
    db,
    logger: false,
    scryptCost: TEST_SCRYPT_COST,
  });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

/** Creates a workspace as admin; returns its name. */
export async function createWorkspace(app: FastifyInstance, name = 'demo'): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/workspaces',
    headers: { authorization: adminAuth },
    payload: { name },
  });
  if (res.statusCode !== 201) throw new Error(`creating workspace ${name}: ${res.statusCode} ${res.body}`);
  return name;
}

/** Builds a multipart/form-data body by hand (inject has no FormData encoder). */
export function multipart(
  files: Record<string, { filename: string; data: Buffer }>,
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----chartroom${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const [name, f] of Object.entries(files)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Counts what a workspace holds, to prove rejected writes left nothing behind. */
export async function countRowsAndBlobs(
  app: FastifyInstance,
): Promise<{ apps: number; versions: number; blobs: number }> {
  const [a] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM apps');
  const [v] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM app_versions');
  let blobs = 0;
  for await (const _ of app.blobs.list()) blobs++;
  return { apps: a?.n ?? -1, versions: v?.n ?? -1, blobs };
}

/** A test app whose JSON log lines (level trace) are collected in `lines`. */
export async function testAppWithLog(t: Teardown): Promise<TestApp & { lines: string[] }> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const db = await freshDatabase(t, 'pglite');
  const config = loadConfig({ CHARTROOM_DATA_DIR: await tempDir(t) });
  const app = await buildApp(config, { db, logger: { level: 'trace', stream }, scryptCost: TEST_SCRYPT_COST });
  t.teardown(() => app.close());
  await app.ready();
  await ensureAdmin(db, ADMIN_PASSWORD, TEST_SCRYPT_COST);
  return { app, db, config, lines };
}
