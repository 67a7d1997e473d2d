// IndexCache: one rendered index per key, re-rendered only when the revision moves,
// concurrent requests share one render, and the bytes held are bounded.
import t from 'tap';
import { IndexCache } from '../../src/index/index-cache.js';

const body = (key: string, revision: string, size = 10) => `${key}@${revision}`.padEnd(size, '.');

t.test('renders once per revision; a new revision renders again', async (t) => {
  const cache = new IndexCache();
  const first = await cache.get('ws:1', '5', async () => body('ws:1', '5'));
  const again = await cache.get('ws:1', '5', async () => {
    t.fail('rendered twice');
    return '';
  });
  t.equal(again, first, 'the same rendered index');
  t.match(first.etag, /^"[0-9a-f]{32}"$/);
  const next = await cache.get('ws:1', '6', async () => body('ws:1', '6'));
  t.equal(next.body.toString(), body('ws:1', '6'));
  t.not(next.etag, first.etag);
  t.equal(cache.renders.get('ws:1'), 2);
});

t.test('concurrent requests for one revision share one render', async (t) => {
  const cache = new IndexCache();
  let renders = 0;
  const render = async () => {
    renders++;
    await new Promise((resolve) => setImmediate(resolve));
    return body('store', '1');
  };
  const results = await Promise.all([
    cache.get('store', '1', render),
    cache.get('store', '1', render),
    cache.get('store', '1', render),
  ]);
  t.equal(renders, 1);
  t.ok(results.every((r) => r === results[0]));
});

t.test('forget drops an entry', async (t) => {
  const cache = new IndexCache();
  await cache.get('ws:1', '1', async () => body('ws:1', '1'));
  cache.forget('ws:1');
  await cache.get('ws:1', '1', async () => body('ws:1', '1'));
  t.equal(cache.renders.get('ws:1'), 2);
});

t.test('bounded by bytes: the least recently served index goes first', async (t) => {
  const cache = new IndexCache(250); // room for two 100-byte indexes
  const get = (key: string) => cache.get(key, '1', async () => body(key, '1', 100));
  await get('a');
  await get('b');
  await get('a'); // a is now the most recently served
  await get('c'); // b goes
  await get('a');
  await get('c');
  t.same([cache.renders.get('a'), cache.renders.get('c')], [1, 1], 'a and c stayed');
  await get('b');
  t.equal(cache.renders.get('b'), 2, 'b was rendered again');
});
