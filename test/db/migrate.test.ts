// Migrations on both engines: applied in order, once, each in a transaction; a
// failing one rolls back and throws.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { migrate, MigrationError, listMigrations, defaultMigrationsDir } from '../../src/db/migrate.js';
import { freshDatabase, tempDir } from '../helpers/app.js';
import { engines } from '../helpers/env.js';

for (const engine of engines()) {
  t.test(`${engine}: the project's migrations apply once`, async (t) => {
    const db = await freshDatabase(t, engine);
    const first = await migrate(db);
    t.same(
      first,
      (await listMigrations(defaultMigrationsDir)).map((m) => path.basename(m.file)),
    );
    t.same(await migrate(db), [], 'nothing to do the second time');
    const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    t.same(
      rows.map((r) => r.version),
      first.map((f) => Number(f.slice(0, 3))),
    );
    const roles = await db.query<{ name: string }>('SELECT name FROM roles WHERE builtin ORDER BY name');
    t.same(
      roles.map((r) => r.name),
      ['platform-admin', 'platform-regular'],
    );
  });

  t.test(`${engine}: order, transactions and failure`, async (t) => {
    const db = await freshDatabase(t, engine);
    const dir = await tempDir(t);
    await fs.writeFile(path.join(dir, '002_second.sql'), 'INSERT INTO things VALUES (2);');
    await fs.writeFile(
      path.join(dir, '001_first.sql'),
      'CREATE TABLE things (n int PRIMARY KEY); INSERT INTO things VALUES (1);',
    );
    t.same(await migrate(db, dir), ['001_first.sql', '002_second.sql'], 'numeric order, not directory order');
    await fs.writeFile(
      path.join(dir, '003_broken.sql'),
      'INSERT INTO things VALUES (3); INSERT INTO no_such_table VALUES (1);',
    );
    const err = await migrate(db, dir).catch((e: unknown) => e);
    t.ok(err instanceof MigrationError);
    t.match((err as Error).message, /migration 003_broken\.sql failed: .*no_such_table/);
    const things = await db.query<{ n: number }>('SELECT n FROM things ORDER BY n');
    t.same(
      things.map((r) => r.n),
      [1, 2],
      'the failed migration left nothing behind',
    );
    const applied = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    t.same(
      applied.map((r) => r.version),
      [1, 2],
    );
  });

  t.test(`${engine}: badly named files are refused`, async (t) => {
    const dir = await tempDir(t);
    await fs.writeFile(path.join(dir, 'init.sql'), 'SELECT 1;');
    await t.rejects(listMigrations(dir), /name must look like NNN_name\.sql/);
    await fs.rm(path.join(dir, 'init.sql'));
    await fs.writeFile(path.join(dir, '001_a.sql'), 'SELECT 1;');
    await fs.writeFile(path.join(dir, '001_b.sql'), 'SELECT 1;');
    await t.rejects(listMigrations(dir), /duplicate migration number 1/);
  });
}
