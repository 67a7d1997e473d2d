// One small interface over Postgres (node-postgres pool) and PGlite (embedded, WASM).
// Everything above this file speaks plain SQL through it and never knows which engine runs.
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isUnreachable, whenUnreachable } from '../unavailable.js';

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
   * never be stale. On Postgres other replicas write too, so `load` always runs.
   */
  cached<T>(key: string, load: () => Promise<T>): Promise<T>;
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

class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  // Every call maps an outage (refused connection, a server restarting, a connection
  // lost mid-query) to a 503: src/unavailable.ts.
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return whenUnreachable(DATABASE, async () => (await this.pool.query(pgQuery(sql, params))).rows as T[]);
  }

  async exec(sql: string): Promise<void> {
    await whenUnreachable(DATABASE, () => this.pool.query(sql));
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await whenUnreachable(DATABASE, () => this.pool.connect());
    const q: Queryable = {
      query: <R>(sql: string, params: unknown[] = []) =>
        whenUnreachable(DATABASE, async () => (await client.query(pgQuery(sql, params))).rows as R[]),
      exec: async (sql: string) => {
        await whenUnreachable(DATABASE, () => client.query(sql));
      },
    };
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
      client.release(broken);
    }
  }

  cached<T>(_key: string, load: () => Promise<T>): Promise<T> {
    return load();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const READ_ONLY = /^\s*SELECT\b/i;
const MAX_CACHED = 10_000;

class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  /** Moves on every write (before and after it), which empties the read cache. */
  private generation = 0;
  /** Bounded by count: the least recently read entry goes first. */
  private readonly memo = new LRUCache<string, { generation: number; value: unknown }>({ max: MAX_CACHED });

  constructor(private readonly db: PGlite) {}

  private async write<T>(run: () => Promise<T>): Promise<T> {
    this.generation++;
    try {
      return await run();
    } finally {
      this.generation++;
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const run = async () => (await this.db.query<T>(sql, params)).rows;
    return READ_ONLY.test(sql) ? run() : this.write(run);
  }

  async exec(sql: string): Promise<void> {
    await this.write(() => this.db.exec(sql));
  }

  // PGlite has one connection; its transaction() holds it exclusively, so concurrent
  // transactions are serialised, which is what row locks would give us on Postgres.
  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.write(() =>
      this.db.transaction(async (t) =>
        fn({
          query: async <R>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params)).rows,
          exec: async (sql: string) => {
            await t.exec(sql);
          },
        }),
      ),
    );
  }

  async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key);
    if (hit && hit.generation === this.generation) return hit.value as T;
    const generation = this.generation; // a write during load makes this entry stale at once
    const value = await load();
    this.memo.set(key, { generation, value });
    return value;
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.db.close();
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
  postgresqlconf: ['shared_buffers=16MB'],
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
    const db = new PostgresDatabase(pool);
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
