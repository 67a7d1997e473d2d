// The paged index against the simplest correct model (join every fragment again):
// identical bytes, a gzip stream that decompresses to them, and untouched pages kept;
// with plain copies kept and with the index held compressed only.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { crc32 } from 'node:zlib';
import { PagedIndex, PAGE_BYTES } from '../../src/index/paged-index.js';
import { compress, gzipOf, type Fragment } from '../../src/index/pieces.js';
import { answersWriting, IndexSnapshot } from '../../src/index/snapshot.js';
import { crc32Combine } from '../../src/index/crc32-combine.js';
import { PlainFiles } from '../../src/index/plain-files.js';
import { joinFragments, type IndexFormat } from '../../src/index/fragments.js';

const generated = new Date('2026-11-26T10:00:00Z');

/** A deterministic pseudo-random source, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function text(format: IndexFormat, name: string, size: number): string {
  const filler = 'x'.repeat(size);
  return format === 'json' ? `${JSON.stringify(name)}:["${filler}"]` : `  ${name}:\n    - ${filler}\n`;
}

function fragment(name: string, plain: string): Fragment {
  return { name, ...compress(Buffer.from(plain)) };
}

async function check(t: Test, index: PagedIndex, model: Map<string, string>, what: string): Promise<void> {
  const snapshot = new IndexSnapshot('"x"', index.format, index.parts(generated), null, index.files);
  const body = await snapshot.body();
  const files = index.files;
  if (files) {
    // Every page's plain bytes are in a file now, and nothing else is: a page a change
    // replaced took its file with it. The next answer is read from them.
    const listed = fs.readdirSync(files.dir).length;
    t.equal(listed, index.keepsPlain ? 0 : index.pageCount(), `${what}: a file a page, no more`);
    t.equal(files.files, listed, `${what}: files counted`);
    t.ok((await snapshot.body()).equals(body), `${what}: the same bytes from the files`);
  }
  const names = [...model.keys()].sort();
  const expected = joinFragments(
    index.format,
    names.map((n) => model.get(n)!),
    generated,
  );
  t.equal(body.toString(), expected, `${what}: bytes`);
  t.equal(snapshot.length, body.length, `${what}: length`);
  t.ok(gunzipSync(Buffer.concat(snapshot.gzipped())).equals(body), `${what}: gzip decompresses to the same bytes`);
  t.same(index.names(), names, `${what}: names in order`);
}

for (const format of ['yaml', 'json'] as const) {
  for (const [plainLimit, withFiles] of [
    [Infinity, false],
    [0, false],
    [300_000, false],
    [0, true],
    [300_000, true],
  ] as const) {
    const held =
      (plainLimit === Infinity ? 'plain kept' : plainLimit === 0 ? 'compressed only' : 'crossing the plain limit') +
      (withFiles ? ', plain files' : '');
    t.test(`${format}, ${held}: random changes match a full join`, async (t) => {
      const next = rng(format === 'yaml' ? 7 : 11);
      const files = withFiles ? PlainFiles.open(t.testdir()) : null;
      const index = new PagedIndex(format, plainLimit, files);
      const model = new Map<string, string>();
      await check(t, index, model, 'empty');
      const modes = new Set<boolean>();
      for (let round = 0; round < 40; round++) {
        const changes = new Map<string, string | null>();
        // Round 20 removes most names, so an index over the limit falls under it.
        const n = round === 0 ? 400 : round === 20 ? 300 : 1 + Math.floor(next() * 12);
        for (let i = 0; i < n; i++) {
          const name = `chart-${Math.floor(next() * 600)
            .toString()
            .padStart(3, '0')}`;
          const remove = round === 20 || (round > 0 && next() < 0.3);
          changes.set(name, remove ? null : text(format, name, Math.floor(next() * 3000)));
        }
        // Some rounds change pages while they are being packed (those are not replaced);
        // others pack everything before checking, so packed pages meet later changes.
        const packing = round % 3 === 1 ? index.pack(2) : null;
        index.apply([...changes].map(([name, plain]) => ({ name, fragment: plain ? fragment(name, plain) : null })));
        for (const [name, plain] of changes) {
          if (plain) model.set(name, plain);
          else model.delete(name);
        }
        await packing;
        if (round % 3 === 2) await index.pack();
        await check(t, index, model, `round ${round}`);
        modes.add(index.keepsPlain);
      }
      t.ok(index.pageCount() > 1, `${index.pageCount()} pages`);
      if (plainLimit === 300_000) t.same([...modes].sort(), [false, true], 'held both ways over the run');
      // Removing everything leaves the empty index.
      index.apply([...model.keys()].map((name) => ({ name, fragment: null })));
      model.clear();
      await check(t, index, model, 'emptied');
      t.equal(index.pageCount(), 0);
      files?.close();
    });
  }
}

t.test('packed pages: a smaller gzip form of the same bytes, and a change unpacks only its page', async (t) => {
  const next = rng(17);
  const index = new PagedIndex('json');
  // Entries alike across charts, as real ones are: fragments alone compress worse than pages.
  const entry = (name: string, v: number) =>
    `{"apiVersion":"v2","name":"${name}","version":"1.${v}.${Math.floor(next() * 9)}","digest":"${Math.floor(next() * 1e15).toString(16)}","urls":["charts/${name}-1.${v}.tgz"]}`;
  const names = Array.from({ length: 400 }, (_, i) => `chart-${String(i).padStart(3, '0')}`);
  const plain = (name: string) => `${JSON.stringify(name)}:[${[0, 1, 2].map((v) => entry(name, v)).join(',')}]`;
  index.apply(names.map((name) => ({ name, fragment: fragment(name, plain(name)) })));
  const joined = new IndexSnapshot('"p"', 'json', index.parts(generated));
  const before = index.compressedBytes;
  t.equal(index.unpacked, true);
  const replaced = await index.pack(3);
  t.equal(replaced, index.pageCount(), 'every page packed');
  t.equal(index.unpacked, false);
  t.ok(index.compressedBytes < before * 0.8, `compressed ${before} -> ${index.compressedBytes} bytes`);
  const packed = new IndexSnapshot('"p"', 'json', index.parts(generated));
  const body = await joined.body();
  t.ok((await packed.body()).equals(body), 'the same plain bytes');
  t.ok(gunzipSync(Buffer.concat(packed.gzipped())).equals(body), 'the gzip form decompresses to them');
  t.ok(Buffer.concat(packed.gzipped()).length < Buffer.concat(joined.gzipped()).length, 'and is smaller');

  index.apply([{ name: 'chart-200', fragment: fragment('chart-200', plain('chart-200')) }]);
  const parts = index.parts(generated);
  t.equal(index.unpacked, true, 'the changed page is fragments joined again');
  t.equal(await index.pack(), 1, 'and only it is packed again');
  const after = index.parts(generated);
  t.equal(
    after.filter((p) => parts.includes(p)).length,
    after.length - 2,
    'the others are kept (all but it and the footer)',
  );
});

t.test('packing gives way while answers are being written, and still ends when they do not stop', async (t) => {
  const build = () => {
    const index = new PagedIndex('json');
    const names = Array.from({ length: 120 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    index.apply(names.map((name) => ({ name, fragment: fragment(name, text('json', name, 4000)) })));
    index.parts(generated);
    return index;
  };
  const index = build();
  t.ok(index.pageCount() >= 2, `${index.pageCount()} pages`);
  // A plain answer counts from the moment it is made until it ends.
  const writing = new IndexSnapshot('"w"', 'json', index.parts(generated)).plain();
  t.equal(answersWriting(), 1, 'an answer being written counts');
  let asked = 0;
  const packing = index.pack(1, {
    busy: () => {
      asked++;
      return answersWriting() > 0;
    },
    maxWaitMs: 60_000,
  });
  // Until it has asked twice (however slow the machine), it has not packed.
  const askedTwice = () => asked >= 2;
  for (let waited = 0; !askedTwice() && waited < 30_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  t.equal(index.unpacked, true, 'nothing is packed while the answer is being written');
  t.ok(asked > 1, `packing asked ${asked} times`);
  for await (const _ of writing) void _; // the client reads it to the end
  t.equal(answersWriting(), 0, 'an answer read to its end no longer counts');
  t.equal(await packing, index.pageCount(), 'then every page is packed');

  const cut = new IndexSnapshot('"w"', 'json', build().parts(generated)).plain();
  t.equal(answersWriting(), 1);
  cut.destroy();
  t.equal(answersWriting(), 0, 'nor does one cut off');

  const stuck = build();
  const started = Date.now();
  t.equal(
    await stuck.pack(64, { busy: () => true, maxWaitMs: 30 }),
    stuck.pageCount(),
    'answers that never stop only delay it',
  );
  t.ok(Date.now() - started >= 30, 'by the longest wait');
});

t.test('what is held sits in memory of its own size, not in a view of a larger buffer', async (t) => {
  // zlib answers with a view of its 16 KB output chunk; a kept 300-byte view would keep all
  // of it. (Small buffers made by Buffer.from or concat are views of Node's shared 8 KB pool,
  // which many small buffers fill: those are fine.)
  const own = (b: Buffer | null) => b === null || b.buffer.byteLength <= Math.max(b.length, Buffer.poolSize);
  const single = compress(Buffer.from(text('json', 'one', 400)));
  t.ok(single.gz.length < 1000 && own(single.gz), `a fragment of ${single.gz.length} bytes owns its memory`);
  const index = new PagedIndex('json');
  const names = Array.from({ length: 60 }, (_, i) => `m${String(i).padStart(2, '0')}`);
  index.apply(names.map((name) => ({ name, fragment: fragment(name, text('json', name, 300)) })));
  index.parts(generated);
  await index.pack();
  const parts = index.parts(generated);
  t.ok(parts.length >= 3, `${parts.length} parts`);
  t.ok(
    parts.every((p) => own(p.gz) && own(p.plain)),
    'packed pages, their plain copies, header and footer',
  );
  const fragments = parts.flatMap((p) => (p as unknown as { fragments?: Fragment[] }).fragments ?? []);
  t.equal(fragments.length, names.length, 'every fragment is reachable from its page');
  t.ok(
    fragments.every((f) => own(f.gz)),
    'and each fragment',
  );
});

t.test('a change rebuilds only its own page', async (t) => {
  const index = new PagedIndex('yaml');
  const names = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
  index.apply(names.map((name) => ({ name, fragment: fragment(name, text('yaml', name, 2000)) })));
  const before = index.parts(generated);
  t.ok(before.length > 4, 'several pages');
  for (const piece of before.slice(1, -1)) t.ok(piece.size <= 2 * PAGE_BYTES, 'pages stay bounded');
  index.apply([{ name: 'c150', fragment: fragment('c150', text('yaml', 'c150', 2100)) }]);
  const after = index.parts(generated);
  const kept = after.filter((p) => before.includes(p)).length;
  t.equal(kept, after.length - 2, 'every page but the changed one (and the footer) is the same object');
});

t.test('above the plain limit only compressed pages are held', async (t) => {
  const index = new PagedIndex('json', 100_000);
  const names = Array.from({ length: 100 }, (_, i) => `n${String(i).padStart(3, '0')}`);
  index.apply(names.map((name) => ({ name, fragment: fragment(name, text('json', name, 500)) })));
  const small = index.parts(generated);
  t.equal(index.keepsPlain, true, `${index.bytes} plain bytes: kept`);
  t.ok(
    small.every((p) => p.plain !== null),
    'every piece has its plain copy',
  );
  index.apply(names.map((name) => ({ name, fragment: fragment(name, text('json', name, 1500)) })));
  const big = index.parts(generated);
  t.equal(index.keepsPlain, false, `${index.bytes} plain bytes: compressed only`);
  const pages = big.slice(1, -1).filter((p) => p.size > 1);
  t.ok(
    pages.every((p) => p.plain === null),
    'no page keeps a plain copy',
  );
  t.ok(index.compressedBytes < index.bytes / 10, `${index.compressedBytes} bytes held for ${index.bytes}`);
  const snapshot = new IndexSnapshot('"y"', 'json', big);
  const doc = JSON.parse((await snapshot.body()).toString()) as { entries: Record<string, string[]> };
  t.equal(doc.entries.n042?.[0]?.length, 1500, 'an identity answer inflates the pages');
  t.ok(
    pages.every((p) => p.plain === null),
    'and keeps nothing it inflated',
  );
});

t.test('CRC-32 of a concatenation from its parts', async (t) => {
  const next = rng(3);
  for (let i = 0; i < 50; i++) {
    const a = Buffer.from(Array.from({ length: Math.floor(next() * 5000) }, () => Math.floor(next() * 256)));
    const b = Buffer.from(Array.from({ length: Math.floor(next() * 5000) }, () => Math.floor(next() * 256)));
    t.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])));
  }
  t.equal(crc32Combine(crc32('abc'), crc32(''), 0), crc32('abc'), 'an empty second part changes nothing');
});

t.test('separately compressed pieces join into one gzip stream', async (t) => {
  const next = rng(9);
  const plains = Array.from({ length: 30 }, (_, i) =>
    Buffer.from(Array.from({ length: i === 3 ? 0 : Math.floor(next() * 40_000) }, () => Math.floor(next() * 256))),
  );
  const gz = Buffer.concat(gzipOf(plains.map(compress)));
  t.ok(gunzipSync(gz).equals(Buffer.concat(plains)), 'incompressible and empty pieces included');
});

t.test('a snapshot joins its gzip form once', async (t) => {
  const index = new PagedIndex('yaml');
  index.apply(
    Array.from({ length: 200 }, (_, i) => ({
      name: `c${i}`,
      fragment: fragment(`c${i}`, text('yaml', `c${i}`, 3000)),
    })),
  );
  const snapshot = new IndexSnapshot('"z"', 'yaml', index.parts(generated));
  const gz = snapshot.gzipped();
  t.equal(snapshot.gzipped(), gz, 'the same buffer for every request of one revision');
  t.equal(gz.length, 1, 'a small form is one buffer');
  t.equal(snapshot.runsForNext(), null, 'and keeps no runs beside it');
  t.ok(gunzipSync(Buffer.concat(gz)).equals(await snapshot.body()));
});

t.test('a large gzip form stays in runs, and a write joins only its own run again', async (t) => {
  const next = rng(13);
  // Barely compressible fragments: more than 4 MiB compressed, so the form is not one buffer.
  const noise = (n: number): string =>
    Array.from({ length: n }, () => 'abcdefghijklmnop'[Math.floor(next() * 16)]).join('');
  const index = new PagedIndex('json', 0);
  const names = Array.from({ length: 1200 }, (_, i) => `n${String(i).padStart(4, '0')}`);
  index.apply(names.map((name) => ({ name, fragment: fragment(name, `${JSON.stringify(name)}:["${noise(9000)}"]`) })));
  // Runs of 16 parts (8 pages and their separators), so this index makes several.
  const first = new IndexSnapshot('"r1"', 'json', index.parts(generated), null, null, 16);
  const gz1 = first.gzipped();
  t.ok(gz1.length > 4, `${gz1.length} buffers`);
  t.equal(first.gzipLength(), Buffer.concat(gz1).length, 'its length is known without joining');
  t.ok(gunzipSync(Buffer.concat(gz1)).equals(await first.body()), 'the runs decompress to the plain bytes');

  index.apply([{ name: 'n0600', fragment: fragment('n0600', `"n0600":["${noise(9100)}"]`) }]);
  const second = new IndexSnapshot('"r2"', 'json', index.parts(generated), first.runsForNext(), null, 16);
  const gz2 = second.gzipped();
  // header and trailer are made per answer; of the runs, only the changed one is new.
  const runs1 = gz1.slice(1, -3);
  const runs2 = gz2.slice(1, -3);
  t.equal(runs2.length, runs1.length);
  t.equal(runs2.filter((b) => !runs1.includes(b)).length, 1, 'one run joined again, the others reused');
  t.ok(gunzipSync(Buffer.concat(gz2)).equals(await second.body()), 'and the whole is right');
});
