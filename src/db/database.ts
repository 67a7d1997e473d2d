// One small interface over Postgres (node-postgres pool) and PGlite (embedded, WASM).
// Everything above this file speaks plain SQL through it and never knows which engine runs.
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isUnreachable, whenUnreachable } from '../unavailable.js';
import {
  CREDENTIALS_CHANNEL,
  CredentialMemo,
  postgresSubscribe,
  READ_ONLY,
  ReadMemo,
  requireTriggers,
} from './memo.js';
import { PgliteSession } from './pglite-session.js';

export { CREDENTIALS_MEMO_TTL_MS } from './memo.js';

const DATABASE = 'the database';

export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /**
   * Memoises a read until the next write. Only the embedded engine caches: PGlite
   * lives in this one process, so every write passes through here and the cache can
   * never be stale. On Postgres other replicas write too, so `load` always runs: this
   * is the one for reads that must show another replica's write at once (index
   * revisions: read-your-writes).
   */
  cached<T>(key: string, load: () => Promise<T>): Promise<T>;
  /**
   * Memoises a read of the credential tables (users, roles, access_tokens,
   * sign_in_failures) until one of them changes. On the embedded engine, as `cached`.
   * On Postgres, every statement that writes one of them notifies every replica
   * (triggers, sql/010_credentials_notify.sql) and a write through this replica forgets
   * at once, so a memo lags a change made elsewhere by the time its notification takes
   * (about a millisecond), and never by more than CREDENTIALS_MEMO_TTL_MS. While no
   * connection listens, nothing is memoised.
   */
  cachedCredentials<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Statements marked by `prepared`, with their names. */
const PREPARED = new Map<string, string>();

/**
 * Marks a statement that runs on (nearly) every request, such as the credential lookups:
 * on Postgres it is prepared once per connection under a name derived from its text, so
 * the server parses and plans it once rather than on every call. Returns the text
 * unchanged; PGlite runs it like every other statement.
 */
export function prepared(sql: string): string {
  if (!PREPARED.has(sql)) PREPARED.set(sql, `chartroom_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  return sql;
}

/** What node-postgres is given for a statement: a named query when it was marked. */
function pgQuery(sql: string, params: unknown[]): pg.QueryConfig {
  const name = PREPARED.get(sql);
  return name ? { name, text: sql, values: params } : { text: sql, values: params };
}

// COUNT(*) and bigint columns come back as strings from node-postgres; queries cast
// to int where a number is wanted, so both engines return the same JS types.

/**
 * Run once by each pooled connection before its first statement. Statements marked
 * `prepared` are parsed once per connection but planned for each call's values: a generic
 * plan is chosen once, from the statistics of that moment, and kept. One chosen while the
 * tables were small scanned every version on each upload's conflict check (4.7 ms
 * instead of 0.05 ms at 15,000 versions).
 */
const SESSION_SETUP = 'SET plan_cache_mode = force_custom_plan';

class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  private readonly credentials: CredentialMemo;
  /** Pooled connections that ran SESSION_SETUP. */
  private readonly ready = new WeakSet<pg.PoolClient>();

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
  ) {
    this.credentials = new CredentialMemo(postgresSubscribe(connectionString));
  }

  /** A pooled connection, set up; release it with the error that broke it, if one did. */
  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (!this.ready.has(client)) {
      try {
        await client.query(SESSION_SETUP);
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      this.ready.add(client);
    }
    return client;
  }

  /** Runs one statement (or, without params, a script) on a pooled connection. */
  private async run(query: pg.QueryConfig | string): Promise<pg.QueryResult> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      return await client.query(query);
    } catch (err) {
      // A connection lost mid-statement is not handed to the next caller; one whose
      // statement failed (a constraint, a syntax error) is as good as before.
      if (isUnreachable(err)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  // Every call maps an outage (refused connection, a server restarting, a connection
  // lost mid-query) to a 503: src/unavailable.ts. A write made here that names a
  // credential table forgets their memo at once (its notification comes a moment later).
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const run = () => whenUnreachable(DATABASE, async () => (await this.run(pgQuery(sql, params))).rows as T[]);
    return READ_ONLY.test(sql) ? run() : this.credentials.write(sql, run);
  }

  async exec(sql: string): Promise<void> {
    await this.credentials.write(null, () => whenUnreachable(DATABASE, () => this.run(sql)));
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await whenUnreachable(DATABASE, () => this.connect());
    const plain: Queryable = {
      query: <R>(sql: string, params: unknown[] = []) =>
        whenUnreachable(DATABASE, async () => (await client.query(pgQuery(sql, params))).rows as R[]),
      exec: async (sql: string) => {
        await whenUnreachable(DATABASE, () => client.query(sql));
      },
    };
    const { q, done } = this.credentials.inTransaction(plain);
    let broken: Error | undefined;
    try {
      await q.query('BEGIN');
      const result = await fn(q);
      await q.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        // A connection that cannot roll back is not handed to the next caller.
        if (isUnreachable(e)) broken = e as Error;
      });
      throw err;
    } finally {
      done();
      client.release(broken);
    }
  }

  cached<T>(_key: string, load: () => Promise<T>): Promise<T> {
    return load();
  }

  cachedCredentials<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.credentials.get(key, load);
  }

  async ping(): Promise<void> {
    await this.run('SELECT 1');
  }

  async close(): Promise<void> {
    await this.credentials.close();
    await this.pool.end();
  }
}

class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  /** Every write passes through here, so nothing memoised can be stale. */
  private readonly memo = new ReadMemo();
  /** Kept across writes to other tables (an upload does not make its uploader read again).
   * PGlite hands a notification to its listeners before the write that made it returns. */
  private readonly credentials: CredentialMemo;
  private readonly session: PgliteSession;

  constructor(private readonly db: PGlite) {
    this.session = new PgliteSession(db);
    this.credentials = new CredentialMemo(async (changed) => {
      const end = await this.session.listen(CREDENTIALS_CHANNEL, changed);
      try {
        await requireTriggers((sql, params) => this.query(sql, params));
      } catch (err) {
        await end();
        throw err;
      }
      return end;
    });
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const run = () => this.session.query<T>(sql, params);
    return READ_ONLY.test(sql) ? run() : this.memo.around(run);
  }

  async exec(sql: string): Promise<void> {
    await this.memo.around(() => this.session.exec(sql));
  }

  // PGlite has one connection, which a transaction holds to itself: concurrent
  // transactions are serialised, which is what row locks would give us on Postgres.
  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.memo.around(() => this.session.transaction(fn));
  }

  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.memo.get(key, load);
  }

  cachedCredentials<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.credentials.get(key, load);
  }

  async ping(): Promise<void> {
    await this.session.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.credentials.close();
    await this.session.exclusive(() => this.db.close()); // after every call under way
  }
}

export interface DatabaseOptions {
  /** postgres:// URL; null selects embedded PGlite. */
  url: string | null;
  /** Where PGlite keeps its files; null keeps it in memory (tests). */
  pgliteDir: string | null;
}

/** Postgres' type OID of bytea. */
const BYTEA = 17;

/**
 * PGlite's own default keeps 128 MB of shared buffers inside its WebAssembly heap, which
 * is resident for the life of the process. Chartroom's hot reads are answered from its
 * own caches (indexes, packages, the read memo), and PGlite's files sit in the OS page
 * cache anyway, so 16 MB of buffers costs little and saves about 125 MB
 * (docs/benchmarks.md has the figures).
 */
const PGLITE_OPTIONS = {
  postgresqlconf: [
    'shared_buffers=16MB',
    // Statements are prepared once (pglite-session.ts) but planned for each call's values,
    // as they were when every call was parsed anew. A generic plan is made without the
    // values, from statistics that PGlite never refreshes (single-user mode runs no
    // autovacuum or autoanalyze): the upload's conflict check took 3.7 ms instead of 0.1 ms
    // at 15,000 versions with one.
    'plan_cache_mode=force_custom_plan',
  ],
  // PGlite's own bytea codec handles one byte at a time in JavaScript (a parseInt per
  // byte read, a padStart per byte written): about 0.2 s per 10 MB of index fragments on
  // a cold start. Buffer's hex codec is native. Reads give a Buffer, as node-postgres does.
  parsers: { [BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex') },
  serializers: {
    [BYTEA]: (bytes: Uint8Array) =>
      `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`,
  },
};

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    // A Postgres that is down or restarting makes requests fail within seconds (503),
    // instead of waiting for a connection for ever (node-postgres' default).
    const pool = new pg.Pool({ connectionString: opts.url, max: 10, connectionTimeoutMillis: 5_000, keepAlive: true });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => undefined);
    const db = new PostgresDatabase(pool, opts.url);
    await db.ping();
    return db;
  }
  if (!opts.pgliteDir) return new PgliteDatabase(await PGlite.create(PGLITE_OPTIONS));
  const dataDir = opts.pgliteDir;
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const fresh = !(await fs.stat(path.join(dataDir, 'PG_VERSION')).catch(() => null));
  if (fresh) {
    // Creating a data directory runs initdb in the same WebAssembly heap, which then
    // never shrinks (about 700 MB resident). Opening it again afterwards starts from a
    // heap of ordinary size (about 300 MB), and the first instance is collected.
    await (await PGlite.create({ ...PGLITE_OPTIONS, dataDir })).close();
  }
  return new PgliteDatabase(await PGlite.create({ ...PGLITE_OPTIONS, dataDir }));
}
