// One place that turns errors into responses: every error becomes an AppError (one
// mapping), then a body in the shape of the API it came from: problem+json here, for
// the REST API, the Helm repositories and the ops routes; ChartMuseum's
// {"error": "..."} through the handler src/routes/chartmuseum.ts sets for its routes.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toProblem } from '../errors.js';
import { findLoneSurrogate } from '../text.js';
import { isUnreachable, RETRY_AFTER_SECONDS } from '../unavailable.js';

// Constraint violations that a race between two requests can cause (the loser of a
// concurrent insert or delete) are conflicts, not server faults.
const PG_CONFLICTS: Record<string, string> = {
  '23505': 'a concurrent request created the same thing; try again',
  '23503': 'a concurrent request changed something this refers to; try again',
  '40001': 'a concurrent request changed the same data; try again',
  '40P01': 'a concurrent request changed the same data; try again',
};

// Input the database refuses to store: the client's fault, whichever route let it through.
const PG_BAD_INPUT: Record<string, string> = {
  '22021': 'the request holds text the database cannot store (such as a NUL byte)',
  '22P05': 'the request holds text the database cannot store (such as a NUL byte)',
  '22001': 'a value in the request is too long',
  '22003': 'a number in the request is out of range',
  '54000': 'a value in the request is too large',
  // invalid_text_representation: e.g. JSON with a lone UTF-16 surrogate ("\ud800"),
  // should any reach the database past the checks where input enters.
  '22P02': 'a value in the request is not valid text for the database (such as a lone UTF-16 surrogate)',
};

function fromFastifyError(err: FastifyError): AppError {
  const pgCode = (err as { code?: string }).code;
  if (pgCode && PG_CONFLICTS[pgCode] && !err.statusCode) {
    return new AppError('conflict', PG_CONFLICTS[pgCode] as string);
  }
  if (pgCode && PG_BAD_INPUT[pgCode] && !err.statusCode) {
    return new AppError('bad-request', PG_BAD_INPUT[pgCode] as string);
  }
  if (err.validation) {
    return new AppError(
      'validation-failed',
      `${err.validationContext ?? 'request'}${err.message.startsWith('body') || err.message.startsWith('query') || err.message.startsWith('params') ? err.message.slice(err.message.indexOf(' ')) : ' ' + err.message}`,
    );
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('upload-too-large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported-media-type', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT': // more file parts than the form has (chart and prov): not a size
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return new AppError('bad-request', err.message);
  }
  if (err.statusCode === 413) return new AppError('upload-too-large', err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    // Body parse errors (bad JSON) and similar client faults from Fastify itself.
    return new AppError('bad-request', err.message);
  }
  if (isUnreachable(err)) {
    // An outage met outside the database and blob store wrappers (a stream cut short, say).
    return new AppError('unavailable', 'a service the server depends on is unreachable; try again shortly');
  }
  return new AppError('internal', 'the server failed to handle the request; see its log');
}

type SendError = (request: FastifyRequest, reply: FastifyReply, appErr: AppError) => FastifyReply;

/** An RFC 9457 problem (application/problem+json). */
export const sendProblem: SendError = (request, reply, appErr) => {
  // Not to the web console (it says so in a header): the browser would open its own
  // password dialog over the console's sign-in page.
  if (appErr.status === 401 && request.headers['x-chartroom-console'] === undefined) {
    reply.header('WWW-Authenticate', 'Basic realm="chartroom"');
  }
  return reply
    .code(appErr.status)
    .type('application/problem+json; charset=utf-8')
    .send(toProblem(appErr, request.url.split('?')[0]));
};

/** ChartMuseum's error shape, {"error": "...", "code": "..."}, for its compatible API. */
export const sendChartMuseumError: SendError = (_request, reply, appErr) => {
  if (appErr.status === 401) reply.header('WWW-Authenticate', 'Basic realm="chartroom"');
  return reply
    .code(appErr.status)
    .type('application/json; charset=utf-8')
    .send({ error: appErr.detail, code: appErr.code });
};

/** An error handler answering in the given shape: the error as an AppError, logged, then sent. */
export function errorHandler(send: SendError) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const appErr = err instanceof AppError ? err : fromFastifyError(err);
    // An outage (src/unavailable.ts) tells clients when to come back, whatever the API's shape.
    if (appErr.status === 503) reply.header('Retry-After', String(appErr.extra.retryAfter ?? RETRY_AFTER_SECONDS));
    if (appErr.code === 'internal') request.log.error({ err }, 'request failed');
    else request.log.debug({ code: appErr.code, detail: appErr.detail }, 'request refused');
    return send(request, reply, appErr);
  };
}

/** A not-found handler answering in the given shape: no route for this method and URL. */
export function notFoundHandler(send: SendError) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    send(request, reply, new AppError('not-found', `no route for ${request.method} ${request.url.split('?')[0]}`));
}

export default fp(
  async (app) => {
    app.setErrorHandler(errorHandler(sendProblem));
    // No name in Chartroom may hold a NUL byte; refuse such URLs before any route
    // (or the database, which cannot store NUL in text) sees them.
    // Callback-style hooks: every request runs these, and they need no promise.
    app.addHook('onRequest', (request, _reply, done) => {
      done(/%00|\0/i.test(request.url) ? new AppError('bad-request', 'the URL holds a NUL byte (%00)') : undefined);
    });
    // JSON can spell a lone UTF-16 surrogate ("\ud800"), which is not Unicode and which
    // the database cannot store; refuse it in any parsed body, query or path parameter.
    app.addHook('preValidation', (request, _reply, done) => {
      for (const [where, value] of [
        ['body', request.body],
        ['query', request.query],
        ['params', request.params],
      ] as const) {
        if (value === undefined || value === null) continue;
        const path = findLoneSurrogate(value);
        if (path !== null) {
          done(
            new AppError(
              'bad-request',
              `${[where, path].filter(Boolean).join(' ')} holds a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode text`,
            ),
          );
          return;
        }
      }
      done();
    });
    app.setNotFoundHandler(notFoundHandler(sendProblem));
  },
  { name: 'chartroom-errors' },
);
