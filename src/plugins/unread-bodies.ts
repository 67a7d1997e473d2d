// A response sent before its request body has arrived (a 401 to an anonymous upload,
// a 404, a 413) ends the connection: otherwise Node keeps reading and discarding the
// rest of the body, so a client trickling a huge Content-Length could hold the socket
// until the request timeout. The socket is closed gracefully first (Connection: close,
// then FIN) and destroyed shortly after, so the client can still read the answer.
import fp from 'fastify-plugin';

/** How long a client may keep sending after its answer before the socket is cut. */
const LINGER_MS = 1_000;

export default fp(
  async (app) => {
    // `complete` is false on a real socket until the whole body is in (injected test
    // requests have no such flag and are left alone).
    // Callback-style hooks: every response runs these, and they need no promise.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.raw.complete === false) reply.header('connection', 'close');
      done(null, payload);
    });
    app.addHook('onResponse', (request, _reply, done) => {
      const socket = request.raw.socket;
      if (request.raw.complete === false && socket && !socket.destroyed) {
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      }
      done();
    });
  },
  { name: 'chartroom-unread-bodies' },
);
