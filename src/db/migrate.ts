// Applies sql/NNN_name.sql in order, each in its own transaction, recorded in
// schema_migrations. Replicas starting together serialise on an advisory lock.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './database.js';
import { projectPath } from '../paths.js';

export const defaultMigrationsDir = projectPath('sql');

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`migration ${file} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'MigrationError';
  }
}

const MIGRATION_LOCK = 7403_2001; // arbitrary constant shared by every replica

export interface Migration {
  version: number;
  name: string;
  file: string;
}

export async function listMigrations(dir: string): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(file, new Error('name must look like NNN_name.sql'));
    const version = Number(m[1]);
    if (seen.has(version)) throw new MigrationError(file, new Error(`duplicate migration number ${version}`));
    seen.add(version);
    return { version, name: m[2] ?? '', file: path.join(dir, file) };
  });
}

/** Applies pending migrations; returns the names applied now. Throws MigrationError. */
export async function migrate(db: Database, dir = defaultMigrationsDir): Promise<string[]> {
  const migrations = await listMigrations(dir);
  // Under the lock too: two replicas creating the table at once on an empty database
  // would otherwise collide in the catalog (duplicate key on pg_type).
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: string[] = [];
  for (const m of migrations) {
    const sql = await fs.readFile(m.file, 'utf8');
    const ran = await db
      .tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const done = await q.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (done.length > 0) return false;
        await q.exec(sql);
        await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        return true;
      })
      .catch((err: unknown) => {
        throw new MigrationError(path.basename(m.file), err);
      });
    if (ran) applied.push(path.basename(m.file));
  }
  return applied;
}
