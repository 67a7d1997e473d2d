// The paged index against the simplest correct model (join every fragment again):
// identical bytes, a gzip stream that decompresses to them, and untouched pages kept.
import t, { type Test } from 'tap';
import { gunzipSync } from 'node:zlib';
import { crc32 } from 'node:zlib';
import { deflateAll, PagedIndex, PAGE_BYTES, undeflatedBytes } from '../../src/index/paged-index.js';
import { IndexSnapshot } from '../../src/index/repo-index.js';
import { crc32Combine } from '../../src/index/crc32-combine.js';
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

function fragment(format: IndexFormat, name: string, size: number): Buffer {
  const filler = 'x'.repeat(size);
  return Buffer.from(format === 'json' ? `${JSON.stringify(name)}:["${filler}"]` : `  ${name}:\n    - ${filler}\n`);
}

function expected(format: IndexFormat, model: Map<string, Buffer>): string {
  const names = [...model.keys()].sort();
  return joinFragments(
    format,
    names.map((n) => model.get(n)!.toString()),
    generated,
  );
}

function check(t: Test, index: PagedIndex, model: Map<string, Buffer>, what: string): void {
  const pieces = index.pieces(generated);
  const body = Buffer.concat(pieces);
  t.equal(body.toString(), expected(index.format, model), `${what}: bytes`);
  const gz = Buffer.concat(index.gzipPieces(generated));
  t.ok(gunzipSync(gz).equals(body), `${what}: gzip decompresses to the same bytes`);
  t.same(index.names(), [...model.keys()].sort(), `${what}: names in order`);
}

for (const format of ['yaml', 'json'] as const) {
  t.test(`${format}: random changes match a full join`, async (t) => {
    const next = rng(format === 'yaml' ? 7 : 11);
    const index = new PagedIndex(format);
    const model = new Map<string, Buffer>();
    check(t, index, model, 'empty');
    for (let round = 0; round < 40; round++) {
      const changes = new Map<string, Buffer | null>();
      const n = round === 0 ? 400 : 1 + Math.floor(next() * 12);
      for (let i = 0; i < n; i++) {
        const name = `chart-${Math.floor(next() * 600)
          .toString()
          .padStart(3, '0')}`;
        const remove = round > 0 && next() < 0.3;
        changes.set(name, remove ? null : fragment(format, name, Math.floor(next() * 3000)));
      }
      index.apply([...changes].map(([name, body]) => ({ name, body })));
      for (const [name, body] of changes) {
        if (body) model.set(name, body);
        else model.delete(name);
      }
      check(t, index, model, `round ${round}`);
    }
    t.ok(index.pageCount() > 1, `${index.pageCount()} pages`);
    // Removing everything leaves the empty index.
    index.apply([...model.keys()].map((name) => ({ name, body: null })));
    model.clear();
    check(t, index, model, 'emptied');
    t.equal(index.pageCount(), 0);
  });
}

t.test('a change rebuilds only its own page', async (t) => {
  const index = new PagedIndex('yaml');
  const names = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
  index.apply(names.map((name) => ({ name, body: fragment('yaml', name, 2000) })));
  const before = index.pieces(generated);
  t.ok(before.length > 4, 'several pages');
  for (const piece of before.slice(1, -1)) t.ok(piece.length <= 2 * PAGE_BYTES, 'pages stay bounded');
  index.apply([{ name: 'c150', body: fragment('yaml', 'c150', 2100) }]);
  const after = index.pieces(generated);
  const kept = after.filter((p) => before.includes(p)).length;
  t.equal(kept, after.length - 2, 'every page but the changed one (and the footer) is the same object');
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

t.test('pages compress in the background as soon as a snapshot exists', async (t) => {
  const index = new PagedIndex('json');
  // About 3 MB of barely compressible fragments: more than a request waits for.
  const next = rng(5);
  const noise = (n: number): string => Array.from({ length: n }, () => 'abcdefghij'[Math.floor(next() * 10)]).join('');
  const names = Array.from({ length: 1500 }, (_, i) => `n${String(i).padStart(4, '0')}`);
  index.apply(names.map((name) => ({ name, body: Buffer.from(`${JSON.stringify(name)}:["${noise(2000)}"]`) })));
  const parts = index.parts(generated);
  t.ok(undeflatedBytes(parts) > 2 * 1024 * 1024, 'nothing compressed yet');

  const cold = new IndexSnapshot('"a"', 'json', parts);
  t.ok(undeflatedBytes(parts) > 0, 'compression runs in the background, not in the constructor');
  const gz = await cold.gzipped();
  t.equal(undeflatedBytes(parts), 0, 'a gzip request waits for every page to be compressed');
  t.ok(gunzipSync(gz).equals(Buffer.concat(cold.pieces)), 'then gzip decompresses to the identity bytes');

  // A write changes one page: the next snapshot's gzip form is waited for, not skipped.
  index.apply([{ name: 'n0750', body: Buffer.from(`"n0750":["${noise(2100)}"]`) }]);
  const after = index.parts(generated);
  const left = undeflatedBytes(after);
  t.ok(left > 0 && left < 512 * 1024, `only the changed page and the footer are left (${left} bytes)`);
  const warm = new IndexSnapshot('"b"', 'json', after);
  const gz2 = await warm.gzipped();
  t.ok(gunzipSync(gz2).equals(Buffer.concat(warm.pieces)), 'gzip after a write is ready at once and right');
  t.equal(await warm.gzipped(), gz2, 'joined once per snapshot');
});

t.test('deflateAll compresses each piece once, however many ask', async (t) => {
  const index = new PagedIndex('yaml');
  index.apply(Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, body: fragment('yaml', `c${i}`, 3000) })));
  const parts = index.parts(generated);
  await Promise.all([deflateAll(parts), deflateAll(parts, 4), deflateAll(parts, 1)]);
  const first = parts.map((p) => p.deflated());
  await deflateAll(parts);
  t.ok(
    parts.every((p, i) => p.deflated() === first[i]),
    'the same compressed buffers are kept',
  );
  t.ok(gunzipSync(Buffer.concat(index.gzipPieces(generated))).equals(Buffer.concat(index.pieces(generated))));
});
