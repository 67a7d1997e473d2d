// IndexService on its own, over a real database: rows are read in batches, only stale
// names are rendered (and only once across instances), and the bytes do not depend on
// which instance or batch size produced them.
import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { IndexService, touchIndex, type RenderSource } from '../../src/index/repo-index.js';
import type { IndexVersion } from '../../src/index/render.js';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { freshDatabase } from '../helpers/app.js';

const revisedAt = new Date('2026-11-26T12:00:00Z');
const names = Array.from({ length: 25 }, (_, i) => `chart-${String(i).padStart(2, '0')}`);

function source(asked: string[][], release = 1): RenderSource {
  return {
    baseUrl: null,
    versions: async (_q, wanted) => {
      asked.push([...wanted].sort());
      return wanted.map((name): IndexVersion => ({
        metadata: { apiVersion: 'v2', name, version: `1.0.${release}` } as IndexVersion['metadata'],
        digest: 'a'.repeat(64),
        created: revisedAt,
      }));
    },
  };
}

t.test('batches, stale names only, and nothing rendered twice', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  await migrate(db);
  const store = { store: true } as const;
  await touchIndex(db, store, 1, names);

  const asked: string[][] = [];
  const first = new IndexService(db, { format: 'json', rowBatch: 4 });
  const one = await first.get(store, { revision: 1, revisedAt }, source(asked));
  const doc = JSON.parse((await one.body()).toString()) as { entries: Record<string, unknown> };
  t.same(Object.keys(doc.entries), names, 'every name, in order');
  t.equal(asked.length, Math.ceil(names.length / 4), 'one version query per batch of rows');
  t.same(asked.flat().sort(), names, 'each name rendered once');

  await touchIndex(db, store, 2, ['chart-03', 'chart-17', 'chart-99']);
  asked.length = 0;
  const two = await first.get(store, { revision: 2, revisedAt }, source(asked, 2));
  t.same(asked, [['chart-03', 'chart-17', 'chart-99']], 'only the touched names are rendered');
  const doc2 = JSON.parse((await two.body()).toString()) as {
    entries: Record<string, Array<{ version: string }>>;
  };
  t.equal(Object.keys(doc2.entries).length, names.length + 1);
  t.equal(doc2.entries['chart-17']?.[0]?.version, '1.0.2');
  t.equal(doc2.entries['chart-16']?.[0]?.version, '1.0.1', 'untouched names keep their text');
  t.not(two.etag, one.etag);

  // Another instance (a replica, or a restart) with another batch size renders nothing,
  // once what the first rendered is stored (after its answers: see the next test).
  await first.stored();
  asked.length = 0;
  const second = new IndexService(db, { format: 'json', rowBatch: 7 });
  const again = await second.get(store, { revision: 2, revisedAt }, source(asked, 3));
  t.same(asked, [], 'the stored text is used');
  t.ok((await again.body()).equals(await two.body()), 'the same bytes');
  t.equal(again.etag, two.etag, 'and the same ETag');

  // A release before migration 009 (during a rolling update) kept text columns: rows this
  // release rendered have that form cleared, so such a replica renders them again rather
  // than finding them empty; what it writes back does not disturb this release's form.
  const cleared = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM index_fragments WHERE rendered_seq IS NOT NULL OR json IS NOT NULL OR yaml IS NOT NULL',
  );
  t.equal(cleared[0]?.n, 0, 'the old form is cleared where the new one was written');
  await db.query(`UPDATE index_fragments SET rendered_seq = seq, base_url = '', yaml = 'old', json = 'old'`);
  asked.length = 0;
  const third = new IndexService(db, { format: 'json' });
  const after = await third.get(store, { revision: 2, revisedAt }, source(asked, 4));
  await third.stored();
  t.same(asked, [], 'an old replica writing its form makes this release render nothing');
  t.ok((await after.body()).equals(await two.body()), 'and serve the same bytes');

  // A name whose last version went away leaves the index.
  await touchIndex(db, store, 3, ['chart-00']);
  const gone = await second.get(
    store,
    { revision: 3, revisedAt },
    {
      baseUrl: null,
      versions: async () => [],
    },
  );
  t.notOk('chart-00' in JSON.parse((await gone.body()).toString()).entries);
});

t.test('an answer never waits for its rendered text to be stored; a failed store loses nothing', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  await migrate(db);
  const store = { store: true } as const;
  await touchIndex(db, store, 1, names);
  // The write-back (the one UPDATE of index_fragments) is held, or fails, on demand.
  let hold: Promise<void> | null = null;
  let fail = false;
  const writes: string[] = [];
  const gated: Database = Object.create(db, {
    query: {
      value: async (sql: string, params?: unknown[]) => {
        if (/^UPDATE index_fragments/.test(sql.trim())) {
          writes.push(fail ? 'failed' : 'stored');
          await hold;
          if (fail) throw new Error('connection lost');
        }
        return db.query(sql, params);
      },
    },
  });

  let release!: () => void;
  hold = new Promise((resolve) => (release = resolve));
  const first = new IndexService(gated, { format: 'yaml', rowBatch: 10 });
  const asked: string[][] = [];
  const one = await first.get(store, { revision: 1, revisedAt }, source(asked));
  t.match((await one.body()).toString(), /chart-24/, 'answered while the write-back is held');
  const unstored = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM index_fragments WHERE packed_seq IS NULL',
  );
  t.equal(unstored[0]?.n, names.length, 'nothing stored yet');
  let stored = false;
  const done = first.stored().then(() => (stored = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(stored, 'stored() waits for the held write-back');
  release();
  await done;
  t.same(writes, ['stored', 'stored', 'stored'], 'one write-back per batch of rows, in order');
  const second = new IndexService(db, { format: 'yaml' });
  asked.length = 0;
  const again = await second.get(store, { revision: 1, revisedAt }, source(asked));
  t.same(asked, [], 'what was stored after the answer is used by another instance');
  t.ok((await again.body()).equals(await one.body()), 'the same bytes');

  // Past the bytes a refresh may leave to store, it answers only once they are stored.
  await touchIndex(db, store, 2, ['chart-07', 'chart-08']);
  hold = new Promise((resolve) => (release = resolve));
  const strict = new IndexService(gated, { format: 'yaml', storeQueueBytes: 0 });
  let answered = false;
  const waiting = strict.get(store, { revision: 2, revisedAt }, source(asked, 2)).then((s) => {
    answered = true;
    return s;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(answered, 'over the limit, the answer waits for the store');
  release();
  t.match((await (await waiting).body()).toString(), /version: 1\.0\.2/, 'then answers');
  hold = null;

  // A write-back that fails leaves its names unrendered: the next reader renders them again.
  await touchIndex(db, store, 3, ['chart-05']);
  fail = true;
  hold = null;
  const two = await first.get(store, { revision: 3, revisedAt }, source(asked, 2));
  t.match((await two.body()).toString(), /version: 1\.0\.2/, 'the answer has the write');
  await first.stored();
  t.equal(first.storeFailures, 1, 'the failure is counted');
  asked.length = 0;
  const third = new IndexService(db, { format: 'yaml' });
  const fromThird = await third.get(store, { revision: 3, revisedAt }, source(asked, 2));
  t.same(asked, [['chart-05']], 'the name whose text was not stored is rendered again');
  t.ok((await fromThird.body()).equals(await two.body()), 'into the same bytes');
});

t.test('pages are packed after a refresh: a smaller gzip form under the same ETag', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  await migrate(db);
  const store = { store: true } as const;
  const many = Array.from({ length: 300 }, (_, i) => `chart-${String(i).padStart(3, '0')}`);
  await touchIndex(db, store, 1, many);
  const service = new IndexService(db, { format: 'yaml', packDelayMs: 0 });
  const joined = await service.get(store, { revision: 1, revisedAt }, source([]));
  const joinedGzip = Buffer.concat(joined.gzipped());
  await service.idle();
  const packed = await service.get(store, { revision: 1, revisedAt }, source([]));
  t.not(packed, joined, 'a new snapshot of the same revision');
  t.equal(packed.etag, joined.etag, 'under the same ETag');
  const packedGzip = Buffer.concat(packed.gzipped());
  t.ok(packedGzip.length < joinedGzip.length * 0.8, `gzip form ${joinedGzip.length} -> ${packedGzip.length} bytes`);
  t.ok(gunzipSync(packedGzip).equals(gunzipSync(joinedGzip)), 'that decompresses to the same bytes');
  t.ok((await packed.body()).equals(await joined.body()), 'identity answers unchanged');

  // A write while packing is pending: its page is packed in turn, the revision it made is served.
  await touchIndex(db, store, 2, ['chart-150']);
  const written = await service.get(store, { revision: 2, revisedAt }, source([], 2));
  await service.idle();
  const settled = await service.get(store, { revision: 2, revisedAt }, source([], 3));
  t.equal(settled.etag, written.etag);
  t.ok(gunzipSync(Buffer.concat(settled.gzipped())).equals(await written.body()));
  t.match(
    (await settled.body()).toString(),
    / {2}chart-150:\n(?:[^\n]*\n){1,8}? +version: 1\.0\.2\n/,
    'the write is in it',
  );
  t.ok(Buffer.concat(settled.gzipped()).length <= packedGzip.length + 64, 'packed again');
});

/** Like source(), with a description of about 1 KB a version (so 600 names make several pages). */
function described(asked: string[][]): RenderSource {
  const inner = source(asked);
  const description = Array.from({ length: 40 }, (_, i) => `line ${i} of a long description`).join(' ');
  return {
    ...inner,
    versions: async (q, wanted) =>
      (await inner.versions(q, wanted)).map((v) => ({ ...v, metadata: { ...v.metadata, description } })),
  };
}

t.test('a refresh that renders batch after batch packs the pages it built beside the next batch', async (t) => {
  const db = await freshDatabase(t, 'pglite');
  await migrate(db);
  const store = { store: true } as const;
  const many = Array.from({ length: 600 }, (_, i) => `chart-${String(i).padStart(3, '0')}`);
  await touchIndex(db, store, 1, many);
  // No packing after the answer within this test: what is packed was packed while rendering.
  const later = { format: 'yaml', packDelayMs: 60_000 } as const;

  // One batch: nothing to pack beside, so the answer is the fragments joined.
  const whole = new IndexService(db, { ...later, rowBatch: 1000 });
  const joined = await whole.get(store, { revision: 1, revisedAt }, described([]));
  await whole.stored();
  await db.query('UPDATE index_fragments SET packed_seq = NULL');

  // Batches of 100: before each next batch is rendered, the packing of what is built is let finish.
  let service: IndexService | null = null;
  const asked: string[][] = [];
  const inner = described(asked);
  const batched = new IndexService(db, { ...later, rowBatch: 100 });
  service = batched;
  const answer = await batched.get(
    store,
    { revision: 1, revisedAt },
    {
      ...inner,
      versions: async (q, wanted) => {
        await service?.idle();
        return inner.versions(q, wanted);
      },
    },
  );
  t.equal(asked.length, 6, 'six batches rendered');
  t.ok((await answer.body()).equals(await joined.body()), 'the same bytes');
  const joinedGz = joined.gzipLength();
  const answerGz = answer.gzipLength();
  t.ok(answerGz < joinedGz * 0.8, `pages packed before the answer: gzip ${joinedGz} -> ${answerGz} bytes`);
  t.ok(gunzipSync(Buffer.concat(answer.gzipped())).equals(await joined.body()), 'which decompresses to the same');
});
