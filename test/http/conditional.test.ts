// isFresh: If-None-Match evaluated as RFC 9110 says (lists, weak comparison, *),
// both on plain header objects and through a real Fastify request.
import t from 'tap';
import Fastify from 'fastify';
import { isFresh } from '../../src/http/conditional.js';

const ETAG = '"0123abcd"';
const req = (ifNoneMatch?: string) => ({ headers: ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch } });

t.test('a single tag', async (t) => {
  t.equal(isFresh(req(ETAG), ETAG), true, 'the same strong tag');
  t.equal(isFresh(req('"other"'), ETAG), false, 'another tag');
  t.equal(isFresh(req('0123abcd'), ETAG), false, 'the same opaque value without its quotes is another tag');
  t.equal(isFresh(req(), ETAG), false, 'no If-None-Match: an unconditional request');
  t.equal(isFresh(req(''), ETAG), false, 'an empty If-None-Match');
  t.equal(isFresh(req(ETAG), ''), false, 'no ETag of ours to compare with');
});

t.test('weak comparison: W/ is ignored on either side', async (t) => {
  t.equal(isFresh(req(`W/${ETAG}`), ETAG), true, 'weak request tag, strong ETag');
  t.equal(isFresh(req(ETAG), `W/${ETAG}`), true, 'strong request tag, weak ETag');
  t.equal(isFresh(req(`W/${ETAG}`), `W/${ETAG}`), true, 'both weak');
  t.equal(isFresh(req('W/"other"'), ETAG), false, 'a weak tag of another representation');
});

t.test('lists of tags', async (t) => {
  t.equal(isFresh(req(`"a", ${ETAG}, "b"`), ETAG), true, 'in the middle of a list');
  t.equal(isFresh(req(`"a",${ETAG}`), ETAG), true, 'without spaces');
  t.equal(isFresh(req(`"a" ,  W/${ETAG}`), ETAG), true, 'extra spaces and a weak tag');
  t.equal(isFresh(req(`"a",\t${ETAG}`), ETAG), true, 'a tab as optional whitespace');
  t.equal(isFresh(req('"a", "b"'), ETAG), false, 'a list without ours');
  t.equal(isFresh(req(`${ETAG}x, "a"`), ETAG), false, 'a longer tag that starts like ours');
});

t.test('*', async (t) => {
  t.equal(isFresh(req('*'), ETAG), true, '* matches any current representation');
  t.equal(isFresh(req('*'), `W/${ETAG}`), true, 'also a weak one');
});

t.test('through a Fastify request, with repeated If-None-Match headers', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  app.get('/thing', async (request, reply) => {
    reply.header('ETag', ETAG);
    return isFresh(request, ETAG) ? reply.code(304).send() : 'body';
  });
  const get = (headers: Record<string, string | string[]>) => app.inject({ method: 'GET', url: '/thing', headers });
  t.equal((await get({})).statusCode, 200, 'unconditional');
  t.equal((await get({ 'if-none-match': `"x", W/${ETAG}` })).statusCode, 304, 'a list with our weak tag');
  t.equal((await get({ 'if-none-match': ['"x"', ETAG] })).statusCode, 304, 'two header lines, ours in the second');
  t.equal((await get({ 'if-none-match': '"x"' })).statusCode, 200, 'another tag');
});
