// A provenance file is part of the package: it is added or replaced only where the
// package itself may be replaced (draft, rejected), audited, and refused with 409
// everywhere else, on every route that stores one.
import t from 'tap';
import { countRowsAndBlobs, multipart, testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import { sha256Hex } from '../../src/blobs/index.js';

/** A provenance file of the right shape for `chart`; `signer` makes its bytes differ. */
function provFor(name: string, version: string, chart: Buffer, signer: string): Buffer {
  const sig = Buffer.from(`signature by ${signer}`).toString('base64');
  return Buffer.from(
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${chartYamlFor(name, version)}\n...\nfiles:\n  ${name}-${version}.tgz: sha256:${sha256Hex(chart)}\n` +
      `-----BEGIN PGP SIGNATURE-----\n\n${sig}\n=AAAA\n-----END PGP SIGNATURE-----\n`,
  );
}

for (const engine of engines()) {
  t.test(
    `${engine}: a provenance file cannot be added or replaced once a version has left draft/rejected`,
    async (t) => {
      const { app } = await testApp(t, { engine });
      const f = await new StoreFixture(app).setUp();
      const chart = makeChart({ name: 'web', version: '1.0.0' });
      const real = provFor('web', '1.0.0', chart, 'the publisher');
      const forged = provFor('web', '1.0.0', chart, 'an attacker');
      const mp = multipart({
        chart: { filename: 'web-1.0.0.tgz', data: chart },
        prov: { filename: 'web-1.0.0.tgz.prov', data: real },
      });
      t.equal(
        (await f.people.as('wsregular', 'POST', '/api/v1/workspaces/demo/apps', mp.payload, mp.headers)).statusCode,
        201,
      );
      await f.people.as('wsregular', 'PATCH', f.url('web'), { category: 'uncategorized' });

      const postProv = (bytes: Buffer) =>
        f.people.as('wsregular', 'POST', '/api/workspaces/demo/prov', bytes, {
          'content-type': 'application/octet-stream',
        });
      const served = async () =>
        (await f.people.as('viewer', 'GET', '/workspaces/demo/charts/web-1.0.0.tgz.prov')).rawPayload;
      const events = async () =>
        (await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0/events'))).json().items as Array<{
          action: string;
        }>;
      const blobsBefore = (await countRowsAndBlobs(app)).blobs;

      const steps: Array<[string, 'wsregular' | 'reviewer', string]> = [
        ['submitted', 'wsregular', 'submit'],
        ['passed', 'reviewer', 'pass'],
        ['active', 'wsregular', 'release'],
        ['suspended', 'reviewer', 'suspend'],
      ];
      for (const [state, who, action] of steps) {
        t.equal((await f.act(who, 'web', '1.0.0', action, 'm')).json().state, state);
        const eventCount = (await events()).length;
        for (const [label, bytes] of [
          ['a forged', forged],
          ['the same', real],
        ] as const) {
          const res = await postProv(bytes);
          t.equal(res.statusCode, 409, `${state}: POST …/prov with ${label} file is refused`);
          t.equal(res.json().code, 'invalid-transition', `${state}: the state forbids it (not "version-exists")`);
          t.match(res.json().error, new RegExp(`web 1\\.0\\.0 is ${state}; a provenance file changes the package`));
          t.same(await served(), real, `${state}: after ${label} file, the publisher's .prov is still served`);
          if (state === 'active') {
            const store = await app.inject({ url: '/store/charts/web-1.0.0.tgz.prov' });
            t.same(store.rawPayload, real, `after ${label} file, the store still serves the publisher's .prov`);
          }
        }
        // The multipart upload of chart + prov is a replacement, refused just the same.
        const both = multipart({
          chart: { filename: 'web-1.0.0.tgz', data: chart },
          prov: { filename: 'web-1.0.0.tgz.prov', data: forged },
        });
        let res = await f.people.as(
          'wsregular',
          'POST',
          '/api/workspaces/demo/charts?force',
          both.payload,
          both.headers,
        );
        t.equal(res.statusCode, 409, `${state}: cm-push --force with a prov`);
        t.equal(res.json().code, 'invalid-transition');
        res = await f.people.as('wsregular', 'POST', '/api/workspaces/demo/charts', both.payload, both.headers);
        t.equal(res.json().code, 'version-exists', `${state}: cm-push without --force`);
        res = await f.people.as(
          'wsregular',
          'PUT',
          f.url('web', '/versions/1.0.0/package'),
          both.payload,
          both.headers,
        );
        t.equal(res.statusCode, 409, `${state}: PUT …/package with a prov`);
        t.match(res.json(), { code: 'invalid-transition', state, allowedActions: Array });
        res = await f.people.as('wsregular', 'POST', '/api/v1/workspaces/demo/apps', both.payload, both.headers);
        t.equal(res.json().code, 'version-exists', `${state}: POST …/apps`);

        t.same(await served(), real, `${state}: the workspace repository still serves the publisher's .prov`);
        t.equal((await events()).length, eventCount, `${state}: refused attempts leave no event`);
        t.equal((await countRowsAndBlobs(app)).blobs, blobsBefore, `${state}: and no blob`);
        const version = (await f.people.as('viewer', 'GET', f.url('web', '/versions/1.0.0'))).json();
        t.equal(version.state, state, `${state}: the state is unchanged`);
      }
    },
  );

  t.test(`${engine}: on a draft or rejected version a provenance file is added, replaced and audited`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    const chart = makeChart({ name: 'web', version: '2.0.0' });
    t.equal((await f.upload('wsregular', chart)).statusCode, 201);
    const first = provFor('web', '2.0.0', chart, 'first key');
    const second = provFor('web', '2.0.0', chart, 'second key');
    const postProv = (bytes: Buffer) =>
      f.people.as('wsregular', 'POST', '/api/workspaces/demo/prov', bytes, {
        'content-type': 'application/octet-stream',
      });
    const events = async () =>
      (await f.people.as('viewer', 'GET', f.url('web', '/versions/2.0.0/events'))).json().items;

    let res = await postProv(first);
    t.equal(res.statusCode, 201, res.body);
    t.match((await events())[0], {
      action: 'provenance',
      actor: 'wsregular',
      from: 'draft',
      to: 'draft',
      message: `added provenance file ${sha256Hex(first)}`,
    });
    t.same((await f.people.as('viewer', 'GET', '/workspaces/demo/charts/web-2.0.0.tgz.prov')).rawPayload, first);
    t.equal(
      (await app.inject({ url: '/store/charts/web-2.0.0.tgz.prov' })).statusCode,
      404,
      "a draft's .prov is not in the store",
    );

    res = await postProv(first);
    t.equal(res.statusCode, 409, 'the same file again');
    t.same(res.json(), { code: 'prov-exists', error: 'web 2.0.0 already has this provenance file' });

    // rejected → draft, as a replaced package does
    await f.people.as('wsregular', 'PATCH', f.url('web'), { category: 'uncategorized' });
    await f.act('wsregular', 'web', '2.0.0', 'submit');
    await f.act('reviewer', 'web', '2.0.0', 'reject', 'sign it with the release key');
    res = await postProv(second);
    t.equal(res.statusCode, 201, res.body);
    t.match((await events())[0], {
      action: 'provenance',
      from: 'rejected',
      to: 'draft',
      message: `replaced provenance file ${sha256Hex(second)}`,
    });
    t.equal((await f.people.as('viewer', 'GET', f.url('web', '/versions/2.0.0'))).json().state, 'draft');
    t.same((await f.people.as('viewer', 'GET', '/workspaces/demo/charts/web-2.0.0.tgz.prov')).rawPayload, second);
    t.equal(await app.blobs.has(sha256Hex(first)), false, 'the replaced .prov blob is gone');
    t.same(await countRowsAndBlobs(app), { apps: 1, versions: 1, blobs: 2 });
  });
}
