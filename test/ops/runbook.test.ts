// The runbook (docs/operations.md) explains every metric /metrics serves: a metric added
// without its line there fails here.
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import { testApp } from '../helpers/app.js';
import { repoRoot } from '../helpers/env.js';

t.test('docs/operations.md names every metric in /metrics', async (t) => {
  const { app } = await testApp(t);
  await app.inject({ url: '/healthz' }); // so that request metrics exist
  const body = (await app.inject({ url: '/metrics' })).body;
  const names = [...body.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1] as string);
  t.ok(names.length > 30, `${names.length} metrics served`);
  t.ok(names.includes('chartroom_index_refresh_seconds'), "Chartroom's own metrics are among them");
  t.ok(names.includes('http_request_duration_seconds'), 'request latency as a histogram');
  t.notOk(names.includes('http_request_summary_seconds'), 'and not as a summary (its cost per request)');
  const runbook = await fs.readFile(path.join(repoRoot, 'docs/operations.md'), 'utf8');
  const missing = names.filter((n) => !runbook.includes(`\`${n}`));
  t.same(missing, [], 'every metric is in the runbook');
});
