// Uploads of one version racing each other: exactly one creates it, the others are told
// it exists (or, with force, replace the draft), and nothing is left half-written.
import t from 'tap';
import { countRowsAndBlobs, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { ingestChart } from '../../src/charts/ingest.js';
import { createDraft } from '../../src/versions/versions.js';
import { sha256Hex } from '../../src/blobs/index.js';

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

  t.test(`${engine}: a replacement that rolls back keeps the package it would have replaced`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const first = makeChart({ name: 'kept', version: '1.0.0', values: 'replicaCount: 1\n' });
    t.equal((await f.upload('wsregular', first)).statusCode, 201);
    const [ws] = await db.query<{ id: number }>("SELECT id FROM workspaces WHERE name = 'demo'");
    const second = await ingestChart(makeChart({ name: 'kept', version: '1.0.0', values: 'replicaCount: 2\n' }));
    // Something later in the replacing transaction fails (as a deadlock or a lost
    // connection would), after the old package was let go.
    await t.rejects(
      createDraft(db, app.blobs, {
        workspaceId: ws!.id,
        pkg: second,
        prov: null,
        force: true,
        uploaderId: null,
        actor: 'test',
        withinTx: async () => {
          throw new Error('a later statement failed');
        },
      }),
      /a later statement failed/,
    );
    t.ok(await app.blobs.has(sha256Hex(first)), 'the package the row still names is there');
    t.notOk(await app.blobs.has(second.digest), "the failed upload's own blob is not kept");
    const pkg = await f.people.as('wsregular', 'GET', '/workspaces/demo/charts/kept-1.0.0.tgz');
    t.equal(pkg.statusCode, 200);
    t.ok(Buffer.from(pkg.rawPayload).equals(first), 'and it is served whole');

    // Committed, the replacement lets the old package go.
    const replaced = await f.people.as('wsregular', 'POST', '/api/workspaces/demo/charts?force=true', second.bytes, {
      'content-type': 'application/gzip',
    });
    t.equal(replaced.statusCode, 201);
    t.notOk(await app.blobs.has(sha256Hex(first)), 'the replaced package is deleted once the change is committed');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 1 });
  });
}
