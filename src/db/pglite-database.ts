// The embedded engine: PGlite (Postgres in WebAssembly) in this process. Loaded by
// openDatabase only when no DATABASE_URL is set.
import { PGlite } from '@electric-sql/pglite';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database, Queryable } from './database.js';
import { CREDENTIALS_CHANNEL, CredentialMemo, READ_ONLY, ReadMemo, requireTriggers } from './memo.js';
import { PgliteSession } from './pglite-session.js';

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

/**
 * The files of a freshly initialised database, from this process's first in-memory one.
 * initdb runs inside WebAssembly at every PGlite.create: on a slow 2-core machine that
 * was 40-75 s of CPU, and loading these files instead a fifth of it. Tests open hundreds
 * of in-memory databases; the server opens one on disk and never comes here.
 *
 * Each test file is a process of its own, so the test runner (scripts/test.sh) also names
 * a file in CHARTROOM_TEST_PGLITE_TEMPLATE, fresh for the run: the first process to make
 * the copy leaves it there, and the others load it instead of running initdb at all.
 */
let pristine: Promise<Blob> | undefined;

const TAR = 'application/x-tar';

async function savedPristine(file: string | undefined): Promise<Blob | undefined> {
  if (!file) return undefined;
  const bytes = await fs.readFile(file).catch(() => null);
  return bytes ? new Blob([bytes], { type: TAR }) : undefined;
}

async function savePristine(file: string | undefined, files: Blob): Promise<void> {
  if (!file) return;
  // Written whole under another name, then renamed: a reader never sees half of it.
  const partial = `${file}.${process.pid}.partial`;
  await fs.writeFile(partial, Buffer.from(await files.arrayBuffer()));
  await fs.rename(partial, file);
}

async function openInMemory(): Promise<PGlite> {
  const template = process.env.CHARTROOM_TEST_PGLITE_TEMPLATE;
  if (pristine === undefined) {
    const saved = await savedPristine(template);
    if (saved) pristine ??= Promise.resolve(saved);
  }
  if (pristine === undefined) {
    const first = await PGlite.create(PGLITE_OPTIONS);
    // Dumped before anyone writes to it: every copy starts as initdb left it.
    const dumped = first.dumpDataDir('none');
    pristine = dumped;
    try {
      await savePristine(template, await dumped);
    } catch (err) {
      if (pristine === dumped) pristine = undefined;
      await first.close();
      throw err;
    }
    return first;
  }
  return PGlite.create({ ...PGLITE_OPTIONS, loadDataDir: await pristine });
}

/** An embedded database in `dataDir`, created when missing; in memory when null (tests). */
export async function openPglite(dataDir: string | null): Promise<Database> {
  if (!dataDir) return new PgliteDatabase(await openInMemory());
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
