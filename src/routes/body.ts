// Reading raw request bodies (icons, YAML values, packages) with a size limit.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { readUpload } from '../charts/archive.js';

export function rawBody(request: FastifyRequest): AsyncIterable<Uint8Array> {
  const body = request.body as unknown;
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return body as AsyncIterable<Uint8Array>;
  }
  if (typeof body === 'string') {
    return (async function* () {
      yield Buffer.from(body);
    })();
  }
  throw new AppError('unsupported-media-type', 'send the raw bytes as the body (not JSON or a form)');
}

/** The whole body, at most maxBytes (else `tooLarge` is thrown). */
export async function readBody(request: FastifyRequest, maxBytes: number, tooLarge: () => AppError): Promise<Buffer> {
  try {
    return (await readUpload(rawBody(request), maxBytes)).bytes;
  } catch (err) {
    if (err instanceof AppError && err.code === 'upload-too-large') throw tooLarge();
    throw err;
  }
}
