// One small interface over Postgres (node-postgres pool) and PGlite (embedded, WASM).
// Everything above this file speaks plain SQL through it and never knows which engine runs.
import pg from 'pg';
import { createHash } from 'node:crypto';
import { isUnreachable, whenUnreachable } from '../unavailable.js';
import { CredentialMemo, postgresSubscribe, READ_ONLY, SharedReads } from './memo.js';

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
   * never be stale. On Postgres other replicas write too, so nothing is kept: this is
   * the one for reads that must show another replica's write at once (index revisions:
   * read-your-writes). Callers asking at once share a read there, but only one that
   * began after they asked (SharedReads in memo.ts): with many clients on one
   * repository, a key is read at most twice at a time rather than once per request.
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
  private readonly shared = new SharedReads();
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

  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.shared.get(key, load);
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

export interface DatabaseOptions {
  /** postgres:// URL; null selects embedded PGlite. */
  url: string | null;
  /** Where PGlite keeps its files; null keeps it in memory (tests). */
  pgliteDir: string | null;
}

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
  // Loaded only here: a server on Postgres never loads the embedded engine.
  const { openPglite } = await import('./pglite-database.js');
  return openPglite(opts.pgliteDir);
}
