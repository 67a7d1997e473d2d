// Slow or stalled clients cannot hold a connection: an anonymous body is cut right
// after its 401, and a signed-in client trickling a body meets the request limit.
// These run against a listening server, since the limits live in Node's HTTP server.
import t from 'tap';
import net from 'node:net';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';

interface Trickle {
  /** Everything the server sent. */
  received: () => string;
  /** Resolves with the milliseconds from the first byte sent until the server closed the socket. */
  closed: Promise<number>;
  stop: () => void;
}

/** Sends a request head announcing a 10 MB body, then one byte every `everyMs`. */
function trickle(port: number, head: string, everyMs: number): Trickle {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => {});
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write('x');
  }, everyMs);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    }),
  );
  socket.write(head);
  return {
    received: () => data,
    closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

async function listening(t: Parameters<typeof testApp>[0], env: Record<string, string> = {}) {
  const { app } = await testApp(t, { env });
  await createWorkspace(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as net.AddressInfo).port };
}

t.test('an anonymous upload hears 401 and its connection is closed at once', async (t) => {
  const { port } = await listening(t);
  const c = trickle(
    port,
    'POST /api/workspaces/demo/charts HTTP/1.1\r\nHost: x\r\nContent-Type: application/gzip\r\nContent-Length: 10000000\r\n\r\n',
    200,
  );
  t.teardown(c.stop);
  const ms = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
  t.ok(ms >= 0, `the server closed the socket (after ${ms} ms)`);
  t.match(c.received(), /^HTTP\/1\.1 401 /, 'the client read the 401');
  t.match(c.received(), /connection: close/i, 'and was told the connection ends');
});

t.test('a signed-in client trickling a body meets the request time limit', async (t) => {
  const { port } = await listening(t, {
    CHARTROOM_REQUEST_TIMEOUT_SECONDS: '2',
    CHARTROOM_HEADERS_TIMEOUT_SECONDS: '1',
  });
  const c = trickle(
    port,
    `POST /api/workspaces/demo/charts HTTP/1.1\r\nHost: x\r\nAuthorization: ${adminAuth}\r\nContent-Type: application/gzip\r\nContent-Length: 10000000\r\n\r\n\x1f\x8b\x08`,
    200,
  );
  t.teardown(c.stop);
  const ms = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
  t.ok(ms >= 0, `the server closed the socket after ${ms} ms`);
  t.ok(ms >= 1_500, 'not before the limit');
});

t.test('a client that never finishes its headers is closed', async (t) => {
  const { port } = await listening(t, {
    CHARTROOM_REQUEST_TIMEOUT_SECONDS: '2',
    CHARTROOM_HEADERS_TIMEOUT_SECONDS: '1',
  });
  const c = trickle(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 200);
  t.teardown(c.stop);
  const ms = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
  t.ok(ms >= 0, `the server closed the socket after ${ms} ms`);
});

t.test('a silent connection is closed after the idle limit', async (t) => {
  const { port } = await listening(t, { CHARTROOM_IDLE_TIMEOUT_SECONDS: '1' });
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  const started = Date.now();
  const ms = await Promise.race([
    new Promise<number>((r) => socket.on('close', () => r(Date.now() - started))),
    new Promise<number>((r) => setTimeout(() => r(-1), 15_000)),
  ]);
  t.ok(ms >= 0, `closed after ${ms} ms`);
});

t.test('the limits are configuration, checked at start', async (t) => {
  const { loadConfig, ConfigError } = await import('../../src/config.js');
  const c = loadConfig({});
  t.same(c.timeouts, { requestMs: 300_000, headersMs: 20_000, idleMs: 60_000, keepAliveMs: 72_000 });
  t.throws(
    () => loadConfig({ CHARTROOM_REQUEST_TIMEOUT_SECONDS: '5', CHARTROOM_HEADERS_TIMEOUT_SECONDS: '10' }),
    ConfigError,
  );
  t.throws(() => loadConfig({ CHARTROOM_IDLE_TIMEOUT_SECONDS: 'soon' }), /CHARTROOM_IDLE_TIMEOUT_SECONDS/);
});
