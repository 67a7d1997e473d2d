// Sending what Chartroom serves, the same way on every route: Helm indexes, packages and
// provenance files, and icons. Each answers If-None-Match with a 304 (src/http/conditional.ts)
// and names a missing blob the same way.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { Readable } from 'node:stream';
import type { IndexSnapshot } from '../index/snapshot.js';
import { isFresh } from './conditional.js';

/** The absolute base of a repository's URLs when CHARTROOM_PUBLIC_URL is set; null for relative URLs. */
export function repoBaseUrl(app: FastifyInstance, repoPath: string): string | null {
  return app.config.publicUrl ? `${app.config.publicUrl}${repoPath}` : null;
}

/** A blob every row points at; its absence is damage, not a client error. */
async function readBlob(app: FastifyInstance, digest: string): Promise<Buffer> {
  const bytes = await app.blobs.get(digest);
  if (!bytes) throw new AppError('internal', `blob ${digest} is missing from the blob store`);
  return bytes;
}

/**
 * Sends an index with ETag/304, and gzip when the client takes it (compressed pages are kept).
 * The plain body is the same bytes for a revision on every replica: a strong ETag. A gzip
 * body is not (pages are packed a moment after a refresh, and each replica packs its own),
 * so it carries the weak form of that tag, as nginx does for what it compresses: the
 * same document, other bytes. If-None-Match compares weakly, so either form gets a 304.
 */
export async function sendIndex(
  request: FastifyRequest,
  reply: FastifyReply,
  index: IndexSnapshot,
  cacheControl: string,
): Promise<FastifyReply> {
  const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  reply
    .header('ETag', gzip ? `W/${index.etag}` : index.etag)
    .header('Cache-Control', cacheControl)
    .header('Vary', 'Accept-Encoding, Authorization');
  if (isFresh(request, index.etag)) return reply.code(304).send();
  // The path says index.yaml whatever the form: Helm names the file so, and JSON is YAML.
  reply.type(index.format === 'json' ? 'application/json' : 'application/x-yaml; charset=utf-8');
  if (gzip) {
    const gz = index.gzipped();
    reply.header('Content-Encoding', 'gzip');
    if (gz.length === 1) return reply.send(gz[0]);
    return reply.header('Content-Length', index.gzipLength()).send(allAtOnce(gz));
  }
  // The pages are written in order, never copied into one buffer (pages held compressed
  // only are inflated as they are reached); their length is known. A HEAD gets the length
  // alone: Fastify drains the body it is given, which would inflate a large index for nothing.
  reply.header('Content-Length', index.length);
  return reply.send(request.method === 'HEAD' ? Readable.from([]) : index.plain(reply.raw));
}

/** A stream of buffers already in memory, all pushed at once: the socket writes them together. */
function allAtOnce(buffers: Buffer[]): Readable {
  return new Readable({
    read() {
      for (const b of buffers) this.push(b);
      this.push(null);
    },
  });
}

/** Sends a chart package (or its .prov) by digest; the digest is the ETag, so a 304 reads no blob. */
export async function sendPackage(
  request: FastifyRequest,
  reply: FastifyReply,
  digest: string,
  opts: { prov: boolean; cacheControl: string; filename?: string },
): Promise<FastifyReply> {
  const etag = `"${digest}"`;
  reply.header('ETag', etag).header('Cache-Control', opts.cacheControl);
  if (opts.filename) reply.header('Content-Disposition', `attachment; filename="${opts.filename}"`);
  if (isFresh(request, etag)) return reply.code(304).send();
  const bytes = await readBlob(request.server, digest);
  return reply.type(opts.prov ? 'application/pgp-signature' : 'application/gzip').send(bytes);
}

/** Sends an icon so that a browser can never run anything in it (SVGs included). */
export async function sendIcon(
  request: FastifyRequest,
  reply: FastifyReply,
  icon: { digest: string | null; type: string | null },
  missing: string,
): Promise<FastifyReply> {
  if (!icon.digest || !icon.type) throw new AppError('not-found', missing);
  // Icons are named by digest, so the ETag never lies and a 304 needs no blob read.
  const etag = `"${icon.digest}"`;
  reply.header('ETag', etag).header('Cache-Control', 'private, max-age=0, must-revalidate');
  if (isFresh(request, etag)) return reply.code(304).send();
  const bytes = await readBlob(request.server, icon.digest);
  return reply
    .type(icon.type)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    .send(bytes);
}
