// The read memos behind Database.cached and Database.cachedCredentials (database.ts):
// a generation-stamped LRU, reads shared by callers asking at once (Postgres), and the
// credential memo that the credential tables' triggers invalidate through LISTEN/NOTIFY
// (sql/010_credentials_notify.sql).
import pg from 'pg';
import net from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Queryable } from './database.js';

export const READ_ONLY = /^\s*SELECT\b/i;
const MAX_CACHED = 10_000;

/** Reads remembered until what they read changes: a generation moves on every change. */
export class ReadMemo {
  private generation = 0;
  /** Bounded by count: the least recently read entry goes first. */
  private readonly entries: LRUCache<string, { generation: number; value: unknown }>;

  constructor(ttlMs = 0) {
    this.entries = new LRUCache({ max: MAX_CACHED, ...(ttlMs > 0 ? { ttl: ttlMs } : {}) });
  }

  /** Makes every entry stale, and every read under way. */
  forget(): void {
    this.generation++;
  }

  /** Runs a write, forgetting before it (reads under way) and after it (reads meanwhile). */
  async around<T>(write: () => Promise<T>): Promise<T> {
    this.forget();
    try {
      return await write();
    } finally {
      this.forget();
    }
  }

  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.generation === this.generation) return hit.value as T;
    const generation = this.generation; // a change during load makes this entry stale at once
    const value = await load();
    this.entries.set(key, { generation, value });
    return value;
  }
}

/**
 * Reads that callers asking at the same time share, without ever answering a caller with
 * a read that began before it asked: a caller that finds a read of its key under way
 * joins the next one, which starts when that one ends. So every answer reflects every
 * write committed before its caller asked (read-your-writes, across replicas too), and a
 * key is read at most twice at a time (one under way, one waiting), however many ask.
 * Nothing is kept once a read ends.
 */
export class SharedReads {
  private readonly flights = new Map<string, { running: Promise<unknown>; next: Promise<unknown> | null }>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const flight = this.flights.get(key);
    if (!flight) return this.start(key, load);
    const settled = () => undefined;
    flight.next ??= flight.running.then(settled, settled).then(() => this.start(key, load));
    return flight.next as Promise<T>;
  }

  private start<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = Promise.resolve().then(load);
    const flight = { running: running as Promise<unknown>, next: null };
    this.flights.set(key, flight);
    // Registered before any joiner's, so a waiting read, starting when this one ends,
    // finds the key free and becomes the one under way.
    const end = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    running.then(end, end);
    return running;
  }
}

/** The channel the credential tables' triggers notify (sql/010_credentials_notify.sql). */
export const CREDENTIALS_CHANNEL = 'chartroom_credentials';
/** The tables credential reads depend on; each has a trigger named chartroom_credentials_<table>. */
const CREDENTIAL_TABLES = ['users', 'roles', 'access_tokens', 'sign_in_failures'];
/** A statement that writes a credential table names it (its trigger's notification comes a moment later). */
const NAMES_CREDENTIALS = new RegExp(`\\b(?:${CREDENTIAL_TABLES.join('|')})\\b`, 'i');
/** How long a memoised credential read is kept at most, whatever the notifications say. */
export const CREDENTIALS_MEMO_TTL_MS = 5_000;
/** Subscribing again after a loss: the first retry after a second, then doubling up to this. */
const LISTEN_RETRY_MAX_MS = 30_000;

const TRIGGER_NAMES = CREDENTIAL_TABLES.map((table) => `chartroom_credentials_${table}`);

/**
 * Throws unless every credential table has its trigger (none before migration 010): a
 * subscriber checks after listening, through the connection that listens, so a
 * database migrated after the check is checked again on the next subscription, and
 * one not migrated yet is never memoised.
 */
export async function requireTriggers(query: (sql: string, params: unknown[]) => Promise<unknown[]>): Promise<void> {
  const [row] = (await query('SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = ANY($1::text[])', [
    TRIGGER_NAMES,
  ])) as Array<{ n: number }>;
  if (row?.n !== TRIGGER_NAMES.length) throw new Error('the credential tables have no triggers yet');
}

/**
 * Listens on the credentials channel, calling `changed` on each notification and `lost`
 * if the subscription ends by itself; resolves to a function that ends it. Rejects when
 * it cannot listen, or the tables have no triggers to notify it.
 */
export type Subscribe = (changed: () => void, lost: () => void) => Promise<() => Promise<void>>;

/**
 * Credential reads, memoised while this process listens to the triggers' notifications
 * (each forgets the memo), and forgotten at once by a write made here that names a
 * credential table. Subscribes on first use, and again after a loss (on use, no sooner
 * than the back-off allows), so it runs no timer, and holds no connection in a process
 * that never authenticates.
 */
export class CredentialMemo {
  private readonly memo = new ReadMemo(CREDENTIALS_MEMO_TTL_MS);
  private unsubscribe: (() => Promise<void>) | null = null;
  private subscribing = false;
  private closed = false;
  private retryAt = 0;
  private failures = 0;

  constructor(private readonly subscribe: Subscribe) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.unsubscribe) return this.memo.get(key, load);
    if (!this.subscribing && !this.closed && Date.now() >= this.retryAt) void this.start();
    return load();
  }

  /** Runs a write made here: one that names a credential table (or a script, null) forgets, before and after. */
  write<T>(sql: string | null, run: () => Promise<T>): Promise<T> {
    return sql === null || NAMES_CREDENTIALS.test(sql) ? this.memo.around(run) : run();
  }

  /** A transaction's queries, forgetting as `write` does; `done` forgets again if one named a credential table. */
  inTransaction(q: Queryable): { q: Queryable; done: () => void } {
    let touched = false;
    return {
      q: {
        query: <R>(sql: string, params?: unknown[]) => {
          if (!READ_ONLY.test(sql) && NAMES_CREDENTIALS.test(sql)) {
            touched = true;
            this.memo.forget();
          }
          return q.query<R>(sql, params);
        },
        exec: (sql: string) => {
          touched = true;
          this.memo.forget();
          return q.exec(sql);
        },
      },
      done: () => {
        if (touched) this.memo.forget();
      },
    };
  }

  private async start(): Promise<void> {
    this.subscribing = true;
    let subscribed = false;
    const lost = () => {
      if (!subscribed) return;
      subscribed = false;
      this.unsubscribe = null;
      this.failed();
    };
    try {
      const end = await this.subscribe(() => this.memo.forget(), lost);
      if (this.closed) {
        await end();
        return;
      }
      subscribed = true;
      this.memo.forget();
      this.unsubscribe = end;
      this.failures = 0;
    } catch {
      this.failed();
    } finally {
      this.subscribing = false;
    }
  }

  private failed(): void {
    this.memo.forget();
    this.retryAt = Date.now() + Math.min(LISTEN_RETRY_MAX_MS, 1000 * 2 ** this.failures++);
  }

  async close(): Promise<void> {
    this.closed = true;
    const end = this.unsubscribe;
    this.unsubscribe = null;
    await end?.().catch(() => undefined);
  }
}

/** On Postgres: one connection of its own per process, LISTENing. */
export function postgresSubscribe(connectionString: string): Subscribe {
  return async (changed, lost) => {
    const client = new pg.Client({
      connectionString,
      application_name: 'chartroom-credentials-listener',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // It never keeps the process alive by itself (a process that forgets to close
      // its database still exits; the pool's connections close when idle).
      stream: () => new net.Socket().unref(),
    });
    let subscribed = false;
    // Whatever ends it (the server gone, the backend terminated, an error), the
    // connection is closed and the memo told; the one error handler stays, so a late
    // error never goes unhandled.
    const ended = () => {
      client.end().catch(() => undefined);
      if (subscribed) {
        subscribed = false;
        lost();
      }
    };
    client.on('notification', changed);
    client.on('error', ended);
    client.on('end', ended);
    try {
      await client.connect();
      await client.query(`LISTEN ${CREDENTIALS_CHANNEL}`);
      await requireTriggers(async (sql, params) => (await client.query(sql, params)).rows);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    subscribed = true;
    return async () => {
      subscribed = false;
      await client.end();
    };
  };
}
