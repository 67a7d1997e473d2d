// The embedded engine's one session, driven with prepared statements. PGlite's own
// query() parses, describes, binds, describes, executes and syncs every statement: six
// calls into the WebAssembly backend, and a parse and plan each time. Here each SQL text
// is parsed and described once (a named statement, the least recently used closed past
// MAX_STATEMENTS); a call is then one message into the backend (Bind, Execute, Sync),
// about a quarter of the cost (docs/benchmarks.md). Values are serialised and rows
// parsed by the same PGlite type handlers its query() uses (including the bytea ones
// database.ts installs), and a call holds the session to itself, as PGlite's mutexes do,
// so the rows and errors callers see are PGlite's.
import { PGlite, parse, protocol, type messages } from '@electric-sql/pglite';
import type { Queryable } from './database.js';

/** Named statements kept prepared; the least recently used is closed past this. */
const MAX_STATEMENTS = 500;

interface Statement {
  name: string;
  /** Postgres type OID of each parameter, as the backend inferred it. */
  paramTypes: number[];
  /** The rows' columns, or null for a statement that returns none. */
  columns: messages.RowDescriptionMessage | null;
}

const { serialize } = protocol;

export class PgliteSession {
  /** By SQL text, least recently used first (a Map keeps insertion order). */
  private readonly statements = new Map<string, Statement>();
  /** Evicted statements, closed by the next message that prepares one. */
  private readonly closing: string[] = [];
  private counter = 0;
  /** Callers wait here in turn: the backend has one session, and a transaction holds it. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly db: PGlite) {}

  /** How many statements are prepared now (tests). */
  get prepared(): number {
    return this.statements.size;
  }

  /** Runs fn with the session to itself: no other caller's statement runs until it settles. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.exclusive(() => this.run<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.exclusive(() => this.script(sql));
  }

  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.send(serialize.query('BEGIN'));
      let open = true;
      const q: Queryable = {
        query: <R>(sql: string, params: unknown[] = []) => {
          if (!open) throw new Error('the transaction has ended');
          return this.run<R>(sql, params);
        },
        exec: (sql: string) => {
          if (!open) throw new Error('the transaction has ended');
          return this.script(sql);
        },
      };
      try {
        const result = await fn(q);
        open = false;
        // A statement that failed inside fn (its error caught there) aborted the
        // transaction: COMMIT then answers ROLLBACK, and nothing was written.
        const [ended] = parse.parseResults(await this.send(serialize.query('COMMIT')), this.db.parsers);
        if (ended?.command === 'ROLLBACK') throw new Error('the transaction was aborted by an error and rolled back');
        return result;
      } catch (err) {
        if (open) {
          open = false;
          await this.send(serialize.query('ROLLBACK')).catch(() => undefined); // the first error is the one to tell
        }
        throw err;
      }
    });
  }

  /** Listens on a channel; the returned function stops. Never inside another caller's transaction. */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    const stop = await this.exclusive(() => this.db.listen(channel, callback));
    return () => this.exclusive(() => stop());
  }

  /** One statement, the session already held. */
  private async run<T>(sql: string, params: unknown[]): Promise<T[]> {
    const statement = await this.statement(sql);
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const toText = this.db.serializers[statement.paramTypes[i] ?? -1];
      return toText ? toText(value) : String(value);
    });
    let replies: messages.BackendMessage[];
    try {
      replies = await this.send(
        Buffer.concat([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()]),
      );
    } catch (err) {
      // A table changed under a prepared statement ("cached plan must not change result
      // type"): the next call prepares it again.
      if ((err as { code?: string }).code === '0A000') this.evict(sql);
      throw err;
    }
    const [result] = parse.parseResults(statement.columns ? [statement.columns, ...replies] : replies, this.db.parsers);
    return (result?.rows ?? []) as T[];
  }

  /** Several statements without parameters (migrations), the session already held. */
  private async script(sql: string): Promise<void> {
    try {
      await this.db.exec(sql);
    } finally {
      // It may have changed what prepared statements read: prepare them again.
      for (const text of [...this.statements.keys()]) this.evict(text);
    }
  }

  private async statement(sql: string): Promise<Statement> {
    const held = this.statements.get(sql);
    if (held) {
      this.statements.delete(sql); // most recently used now
      this.statements.set(sql, held);
      return held;
    }
    const name = `chartroom_${++this.counter}`;
    const closes = this.closing.splice(0).map((old) => serialize.close({ type: 'S', name: old }));
    const replies = await this.send(
      Buffer.concat([
        ...closes,
        serialize.parse({ name, text: sql }),
        serialize.describe({ type: 'S', name }),
        serialize.sync(),
      ]),
    );
    const params = replies.find((m): m is messages.ParameterDescriptionMessage => m.name === 'parameterDescription');
    const columns = replies.find((m): m is messages.RowDescriptionMessage => m.name === 'rowDescription') ?? null;
    const statement = { name, paramTypes: params?.dataTypeIDs ?? [], columns };
    this.statements.set(sql, statement);
    if (this.statements.size > MAX_STATEMENTS) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.evict(oldest);
    }
    return statement;
  }

  private evict(sql: string): void {
    const statement = this.statements.get(sql);
    if (!statement) return;
    this.statements.delete(sql);
    this.closing.push(statement.name);
  }

  /**
   * One message into the backend; its error (the first) is thrown once the whole message
   * has run. Nothing to sync afterwards: the data directory is mounted straight from
   * disk (NODEFS) or kept in memory, whose syncToFs do nothing.
   */
  private async send(message: Uint8Array): Promise<messages.BackendMessage[]> {
    return (await this.db.execProtocol(message, { syncToFs: false })).messages;
  }
}
