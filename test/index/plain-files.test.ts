// Plain files of an index held compressed: identity answers write them, read them, and
// fall back to inflating whenever a file is missing or cannot be written; directories of
// processes that are gone are removed, and nothing is left after dispose() and close().
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PagedIndex } from '../../src/index/paged-index.js';
import { compress, type Fragment } from '../../src/index/pieces.js';
import { PlainFiles, readPlainFile } from '../../src/index/plain-files.js';
import { IndexSnapshot, spareBuffers } from '../../src/index/snapshot.js';

const generated = new Date('2026-11-28T10:00:00Z');

function fragment(name: string, size: number): Fragment {
  return { name, ...compress(Buffer.from(`${JSON.stringify(name)}:["${name.repeat(size / name.length)}"]`)) };
}

function build(files: PlainFiles): PagedIndex {
  const index = new PagedIndex('json', 0, files);
  index.apply(Array.from({ length: 60 }, (_, i) => ({ name: `chart-${i}`, fragment: fragment(`chart-${i}`, 20_000) })));
  return index;
}

const answer = (index: PagedIndex) =>
  new IndexSnapshot('"e"', 'json', index.parts(generated), null, index.files).body();

t.test('written by the first identity answer, read by the next; a missing file is written again', async (t) => {
  const files = PlainFiles.open(t.testdir());
  const index = build(files);
  const pages = index.pageCount();
  t.ok(pages > 3, `${pages} pages`);
  t.equal(files.files, 0, 'nothing written before an identity answer');
  const first = await answer(index);
  t.equal(files.files, pages, 'a file a page');
  const onDisk = fs.readdirSync(files.dir).reduce((n, f) => n + fs.statSync(path.join(files.dir, f)).size, 0);
  t.equal(onDisk, files.bytes, 'bytes counted');
  t.equal(files.bytes, index.bytes - (pages - 1), "the pages' plain bytes (all but the commas between pages)");

  // The next answer reads them: a file replaced by other bytes of its size shows in it.
  const names = fs.readdirSync(files.dir).sort((a, b) => Number(a) - Number(b));
  const victim = path.join(files.dir, names[1]!);
  const original = fs.readFileSync(victim);
  fs.writeFileSync(victim, Buffer.alloc(original.length, 0x20));
  t.not((await answer(index)).toString(), first.toString(), 'the answer comes from the files');
  fs.writeFileSync(victim, original);
  t.ok((await answer(index)).equals(first), 'the same bytes again');

  // Files removed behind its back: the pages are inflated again, and the files written again.
  for (const name of fs.readdirSync(files.dir)) fs.rmSync(path.join(files.dir, name));
  t.ok((await answer(index)).equals(first), 'missing files: the same bytes, inflated');
  t.equal(fs.readdirSync(files.dir).length, pages, 'and written again');

  index.dispose();
  t.same(fs.readdirSync(files.dir), [], 'dispose() removes them');
  t.equal(files.bytes, 0);
  t.ok((await answer(index)).equals(first), 'a disposed index still answers');
  t.same(fs.readdirSync(files.dir), [], 'without writing files for pages it let go');
  index.revive();
  await answer(index);
  t.equal(fs.readdirSync(files.dir).length, pages, 'revived, it writes them again');
  files.close();
  t.notOk(fs.existsSync(files.dir), 'close() removes the directory');
});

t.test('a write that fails is reported once, and answers inflate from then on', async (t) => {
  const files = PlainFiles.open(t.testdir());
  const reported: Error[] = [];
  files.onFailed = (err) => reported.push(err);
  const index = build(files);
  fs.rmSync(files.dir, { recursive: true }); // e.g. cleaned up by someone else, or a full disk
  const body = await answer(index);
  t.equal(JSON.parse(body.toString()).entries['chart-7'].length, 1, 'the answer is whole');
  t.equal(reported.length, 1, 'one report');
  t.equal(files.failed, reported[0]);
  t.equal(files.files, 0);
  t.ok((await answer(index)).equals(body), 'and later answers too');
  t.equal(reported.length, 1, 'still one report');
});

t.test('readPlainFile: exactly the size asked, else null', async (t) => {
  const dir = t.testdir({ f: 'hello' });
  t.equal(readPlainFile(path.join(dir, 'f'), 5)?.toString(), 'hello');
  t.equal(readPlainFile(path.join(dir, 'f'), 6), null, 'shorter than expected');
  t.equal(readPlainFile(path.join(dir, 'missing'), 5), null, 'missing');
});

t.test('directories left by processes that are gone are removed at open; others are left alone', async (t) => {
  const root = t.testdir({
    '999999999.1.abcdef': { '1': 'x' }, // no such process
    [`${process.pid}.1.abcdef`]: { '1': 'x' }, // this pid, an earlier start (a container's pid 1)
    [`${process.ppid}.1.abcdef`]: { '1': 'x' }, // a live process
    'not-ours': { '1': 'x' },
  });
  const files = PlainFiles.open(root);
  t.same(
    fs.readdirSync(root).sort(),
    [path.basename(files.dir), `${process.ppid}.1.abcdef`, 'not-ours'].sort(),
    'only the dead ones go',
  );
  const other = PlainFiles.open(root);
  t.ok(fs.existsSync(files.dir), 'a second service in this process does not remove the first one');
  other.close();
  files.close();
});

t.test('answers on real sockets read page files into buffers used again once the socket has sent them', async (t) => {
  const files = PlainFiles.open(t.testdir());
  const index = new PagedIndex('json', 0, files);
  // About 4 MB in 20 KB fragments (some 30 pages), and one fragment larger than a spare buffer.
  index.apply([
    ...Array.from({ length: 200 }, (_, i) => ({
      name: `chart-${String(i).padStart(3, '0')}`,
      fragment: fragment(`c${i}`, 20_000),
    })),
    { name: 'chart-big', fragment: fragment('big', 300_000) },
  ]);
  const snapshot = () => new IndexSnapshot('"e"', 'json', index.parts(generated), null, index.files);
  const expected = await snapshot().body(); // writes the page files
  t.ok(files.files > 20, `${files.files} page files`);

  const server = http.createServer((_req, res) => {
    const s = snapshot();
    res.writeHead(200, { 'content-length': s.length });
    s.plain(res).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  // A reader that stops for a while now and then: its answer waits in the socket's queue,
  // where a buffer given back too soon would be overwritten by a later page.
  const get = (pauseMs: number) =>
    new Promise<Buffer>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          let n = 0;
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            if (pauseMs > 0 && ++n % 8 === 0) {
              res.pause();
              setTimeout(() => res.resume(), pauseMs);
            }
          });
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        })
        .on('error', reject);
    });
  const before = spareBuffers().reused;
  const bodies = await Promise.all([get(0), get(30), get(0), get(5), get(30)]);
  for (const [i, body] of bodies.entries()) t.ok(body.equals(expected), `answer ${i}: the same bytes`);
  const reused = spareBuffers().reused - before;
  t.ok(reused > 5 * 10, `pages read into buffers used before: ${reused}`);
  t.ok(spareBuffers().kept * 256 * 1024 <= 4 * 1024 * 1024, 'at most 4 MB of them kept');
  t.ok((await get(0)).equals(expected), 'and one more alone');
  files.close();
});
