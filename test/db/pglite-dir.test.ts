// The embedded engine on a data directory: a fresh directory is created (and reopened,
// to drop initdb's heap) and keeps what was written across a close and an open.
import t from 'tap';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { tempDir } from '../helpers/app.js';

t.test('a data directory survives close and open', async (t) => {
  const dir = path.join(await tempDir(t), 'pg');
  const first = await openDatabase({ url: null, pgliteDir: dir });
  await first.exec('CREATE TABLE kept (v text)');
  await first.query('INSERT INTO kept VALUES ($1)', ['hello']);
  await first.close();
  const again = await openDatabase({ url: null, pgliteDir: dir });
  t.same(await again.query('SELECT v FROM kept'), [{ v: 'hello' }]);
  const [setting] = await again.query<{ shared_buffers: string }>('SHOW shared_buffers');
  t.equal(setting?.shared_buffers, '16MB', 'the trimmed buffer setting is in effect');
  const [plans] = await again.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
  t.equal(plans?.plan_cache_mode, 'force_custom_plan', 'prepared statements are planned for their values');
  await again.close();
});
