// The version state machine over HTTP, exactly as the spec's table says: every
// action, who may do it, from which state; 409 with the state and allowed actions.
import t from 'tap';
import { testApp } from '../helpers/app.js';
import { engines } from '../helpers/env.js';
import { makeChart } from '../helpers/tarball.js';
import { StoreFixture } from '../helpers/store-fixture.js';
import {
  TRANSITIONS,
  VERSION_STATES,
  type VersionAction,
  type VersionState,
} from '../../src/lifecycle/state-machine.js';

const ACTIONS = ['submit', 'cancel', 'pass', 'reject', 'release', 'suspend', 'activate'] as const;

for (const engine of engines()) {
  t.test(`${engine}: every action from every state`, async (t) => {
    const { app, db } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    t.equal((await f.upload('wsregular', makeChart({ name: 'web', version: '1.0.0' }))).statusCode, 201);
    await f.people.as('wsregular', 'PATCH', f.url('web'), { category: 'uncategorized' });
    const setState = (s: VersionState) => db.query("UPDATE app_versions SET state = $1 WHERE version = '1.0.0'", [s]);
    for (const state of VERSION_STATES) {
      for (const action of ACTIONS) {
        await setState(state);
        const t_ = TRANSITIONS[action as VersionAction];
        const who = t_.actors.includes('reviewer') ? 'reviewer' : 'wsregular';
        const res = await f.act(who, 'web', '1.0.0', action, 'a message');
        if (t_.from.includes(state)) {
          t.equal(res.statusCode, 200, `${action} from ${state} by ${who}: ${res.body.slice(0, 200)}`);
          t.equal(res.json().state, t_.to, `${action} from ${state} → ${t_.to}`);
        } else {
          t.equal(res.statusCode, 409, `${action} from ${state} is refused`);
          t.match(res.json(), { code: 'invalid-transition', state, allowedActions: Array });
          t.match(res.json().detail, new RegExp(`cannot ${action} a version that is ${state}`));
        }
      }
      // the wrong kind of caller is refused whatever the state
      await setState(state);
      for (const action of ACTIONS) {
        const t_ = TRANSITIONS[action as VersionAction];
        const wrong = t_.actors.includes('reviewer') ? 'wsregular' : 'viewer';
        const res = await f.act(wrong, 'web', '1.0.0', action, 'm');
        t.equal(res.statusCode, 403, `${action} as ${wrong} is forbidden in ${state}`);
      }
    }
  });

  t.test(`${engine}: allowedActions, reject needs a message, fix and resubmit, audit trail`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    let res = await f.upload('wsregular', makeChart({ name: 'db', version: '2.0.0' }), 'first cut');
    t.equal(res.statusCode, 201);
    t.match(res.json(), {
      app: { name: 'db', category: null },
      version: {
        version: '2.0.0',
        state: 'draft',
        updateLog: 'first cut',
        allowedActions: ['replace', 'submit', 'delete'],
      },
    });
    res = await f.people.as('reviewer', 'GET', f.url('db', '/versions/2.0.0'));
    t.same(res.json().allowedActions, ['delete'], "the reviewer's allowed actions on a draft");
    res = await f.people.as('viewer', 'GET', f.url('db', '/versions/2.0.0'));
    t.same(res.json().allowedActions, [], 'a viewer may do nothing');

    res = await f.act('wsregular', 'db', '2.0.0', 'submit');
    t.equal(res.statusCode, 409);
    t.match(res.json(), { code: 'category-required' });
    await f.people.as('wsregular', 'PATCH', f.url('db'), {
      category: 'uncategorized',
      description: 'A database',
      abstraction: 'Stores things',
      home: 'https://db.example.com',
    });
    t.equal((await f.act('wsregular', 'db', '2.0.0', 'submit')).json().state, 'submitted');
    res = await f.act('reviewer', 'db', '2.0.0', 'reject');
    t.equal(res.statusCode, 400);
    t.match(res.json().detail, /reject needs a message/);
    res = await f.act('reviewer', 'db', '2.0.0', 'reject', '   ');
    t.equal(res.statusCode, 400, 'a blank message is no message');
    res = await f.act('reviewer', 'db', '2.0.0', 'reject', 'Set resource limits');
    t.match(res.json(), { state: 'rejected', allowedActions: ['delete'] });
    res = await f.people.as('wsregular', 'GET', f.url('db', '/versions/2.0.0'));
    t.same(res.json().allowedActions, ['replace', 'submit', 'delete']);

    // fix the package (same version) and resubmit
    const fixed = makeChart({ name: 'db', version: '2.0.0', readme: '# Fixed\n' });
    res = await f.people.as('wsregular', 'PUT', f.url('db', '/versions/2.0.0/package'), fixed, {
      'content-type': 'application/gzip',
    });
    t.equal(res.statusCode, 200, res.body);
    t.equal(res.json().state, 'draft');
    res = await f.people.as('wsregular', 'GET', f.url('db', '/versions/2.0.0/package'));
    t.same(res.rawPayload, fixed);
    res = await f.people.as(
      'wsregular',
      'PUT',
      f.url('db', '/versions/2.0.0/package'),
      makeChart({ name: 'db', version: '2.0.1' }),
      { 'content-type': 'application/gzip' },
    );
    t.equal(res.statusCode, 400, 'another version number is refused');
    t.equal((await f.act('wsregular', 'db', '2.0.0', 'submit')).json().state, 'submitted');
    res = await f.people.as('wsregular', 'PUT', f.url('db', '/versions/2.0.0/package'), fixed, {
      'content-type': 'application/gzip',
    });
    t.equal(res.statusCode, 409, 'a submitted package cannot be replaced');
    t.equal((await f.act('reviewer', 'db', '2.0.0', 'pass', 'Looks good')).json().state, 'passed');
    t.equal((await f.act('wsregular', 'db', '2.0.0', 'release')).json().state, 'active');
    res = await f.people.as('wsregular', 'DELETE', f.url('db', '/versions/2.0.0'));
    t.equal(res.statusCode, 409, 'an active version cannot be deleted');
    t.match(res.json(), { code: 'invalid-transition', state: 'active' });

    res = await f.people.as('viewer', 'GET', f.url('db', '/versions/2.0.0/events'));
    t.same(
      res.json().items.map((e: { action: string }) => e.action),
      ['release', 'pass', 'submit', 'replace', 'reject', 'submit', 'upload'],
      'newest first',
    );
    t.match(res.json().items[4], {
      actor: 'reviewer',
      action: 'reject',
      from: 'submitted',
      to: 'rejected',
      message: 'Set resource limits',
    });
    res = await f.people.as('viewer', 'GET', f.url('db', '/events'));
    t.same(
      res
        .json()
        .items.map((e: { action: string }) => e.action)
        .slice(-2),
      ['edit', 'upload'],
      'app events include edits',
    );
    t.match(
      res.json().items.find((e: { action: string }) => e.action === 'edit'),
      { actor: 'wsregular', message: /category=uncategorized/ },
    );
  });

  t.test(`${engine}: two racing actions on one version leave exactly one winner`, async (t) => {
    const { app } = await testApp(t, { engine });
    const f = await new StoreFixture(app).setUp();
    await f.upload('wsregular', makeChart({ name: 'race', version: '1.0.0' }));
    await f.people.as('wsregular', 'PATCH', f.url('race'), { category: 'uncategorized' });
    await f.act('wsregular', 'race', '1.0.0', 'submit');
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        // each of these is allowed only from `submitted`, so once one lands the others must fail
        f.act('reviewer', 'race', '1.0.0', 'pass'),
        f.act('reviewer', 'race', '1.0.0', 'reject', 'no'),
        f.act('admin', 'race', '1.0.0', 'pass'),
      ]);
      const codes = results.map((r) => r.statusCode).sort();
      t.same(
        codes,
        [200, 409, 409],
        `round ${round}: one winner, ${results.map((r) => r.json().state ?? r.json().code).join(', ')}`,
      );
      const winner = results.find((r) => r.statusCode === 200)?.json().state;
      const events = (await f.people.as('viewer', 'GET', f.url('race', '/versions/1.0.0/events'))).json().items;
      t.equal(events[0].to, winner, 'the audit trail records the winner only');
      // back to submitted for the next round
      if (winner === 'passed') await f.act('wsregular', 'race', '1.0.0', 'cancel');
      await f.act('wsregular', 'race', '1.0.0', 'submit');
    }
  });
}
