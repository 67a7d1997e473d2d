// Uploads of one version racing each other: exactly one creates it, the others are told
// it exists (or, with force, replace the draft), and nothing is left half-written.
import t from 'tap';
import { countRowsAndBlobs, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';

for (const engine of engines()) {
  t.test(`${engine}: concurrent uploads of one new version`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    // Different bytes each (the values differ), so every one is a distinct package.
    const charts = Array.from({ length: 6 }, (_, i) =>
      makeChart({ name: 'race', version: '1.0.0', values: `replicaCount: ${i + 1}\n` }),
    );
    const answers = await Promise.all(charts.map((c) => f.upload('wsregular', c)));
    const codes = answers.map((a) => a.statusCode).sort();
    t.same(codes, [201, 409, 409, 409, 409, 409], 'one created, the others refused');
    for (const a of answers.filter((x) => x.statusCode === 409)) t.equal(a.json().code, 'version-exists');

    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = 'race'",
    );
    t.equal(rows[0]!.n, 1, 'one version row');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 }, "the losers' packages were not kept");
    const winner = answers.findIndex((a) => a.statusCode === 201);
    const index = await f.people.as('wsregular', 'GET', '/workspaces/demo/index.yaml');
    t.match(index.body, /race/, 'the index lists it');
    const pkg = await f.people.as('wsregular', 'GET', '/workspaces/demo/charts/race-1.0.0.tgz');
    t.ok(Buffer.from(pkg.rawPayload).equals(charts[winner]!), "the package is the winner's bytes");
    const events = await db.query<{ action: string }>(
      "SELECT e.action FROM audit_events e JOIN apps a ON a.id = e.app_id WHERE a.name = 'race'",
    );
    t.same(
      events.map((e) => e.action),
      ['upload'],
      'one audit event',
    );
  });

  t.test(`${engine}: concurrent forced uploads of one draft version all land, one after another`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const charts = Array.from({ length: 5 }, (_, i) =>
      makeChart({ name: 'race', version: '2.0.0', values: `replicaCount: ${i + 1}\n` }),
    );
    const answers = await Promise.all(
      charts.map((c) =>
        f.people.as('wsregular', 'POST', '/api/workspaces/demo/charts?force=true', c, {
          'content-type': 'application/gzip',
        }),
      ),
    );
    t.same(
      answers.map((a) => a.statusCode),
      [201, 201, 201, 201, 201],
      'each is accepted (a draft may be replaced)',
    );
    const events = await db.query<{ action: string }>(
      "SELECT e.action FROM audit_events e JOIN apps a ON a.id = e.app_id WHERE a.name = 'race' ORDER BY e.id",
    );
    t.same(
      events.map((e) => e.action),
      ['upload', 'replace', 'replace', 'replace', 'replace'],
      'one upload, then replacements',
    );
    const pkg = await f.people.as('wsregular', 'GET', '/workspaces/demo/charts/race-2.0.0.tgz');
    t.ok(
      charts.some((c) => c.equals(Buffer.from(pkg.rawPayload))),
      'the package served is one of the uploads, whole',
    );
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 }, 'replaced packages left no blob behind');
  });
}
