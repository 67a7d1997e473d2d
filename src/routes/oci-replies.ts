// How the OCI routes (src/routes/oci.ts) answer: the spec's error body, manifests, blobs
// with ranges, referrers, tag pages and upload sessions, and the repository a request names.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { workspaceScope } from '../http/access.js';
import { sha256Hex } from '../blobs/index.js';
import { OCI_INDEX, ociCodeOf, ociDigest, ociError, parseDigest } from '../oci/oci.js';
import { blobInRepository, repositoryName, type OciRepository, type RegistryDeps } from '../oci/registry.js';
import type { StoredManifest } from '../oci/manifests.js';

export function checkDigest(hex: string, bytes: Buffer): void {
  const actual = sha256Hex(bytes);
  if (actual !== hex) {
    throw ociError(
      'DIGEST_INVALID',
      'bad-request',
      `the bytes sent have digest ${ociDigest(actual)}, not ${ociDigest(hex)}`,
    );
  }
}

/** The spec's error body. */
export function sendOciError(_request: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  if (err.status === 401) reply.header('WWW-Authenticate', 'Basic realm="chartroom"');
  const detail = err.extra.ociDetail ?? null;
  return reply
    .code(err.status)
    .type('application/json; charset=utf-8')
    .send({ errors: [{ code: ociCodeOf(err), message: err.detail, detail }] });
}

export type WorkspaceRepo = Extract<OciRepository, { kind: 'workspace' }>;

export function workspaceRepo(request: FastifyRequest, chart: string): WorkspaceRepo {
  const { workspace } = workspaceScope(request);
  return { kind: 'workspace', workspaceId: workspace.id, workspaceName: workspace.name, chart };
}

export const storeRepo = (chart: string): OciRepository => ({ kind: 'store', chart });

export const base = (repo: OciRepository) => `/v2/${repositoryName(repo)}`;

export function bodyBytes(request: FastifyRequest): Buffer {
  const body = request.body as unknown;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  throw new AppError('bad-request', 'send the bytes as the request body');
}

export function sendManifest(reply: FastifyReply, m: StoredManifest): FastifyReply {
  return reply
    .header('Content-Type', m.mediaType)
    .header('Docker-Content-Digest', ociDigest(m.digest))
    .header('ETag', `"${ociDigest(m.digest)}"`)
    .header('Content-Length', m.body.length)
    .send(m.body);
}

/** One byte range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; null for none or several. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or another unit: whole body
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'bad';
  return { start, end };
}

export async function sendBlob(
  deps: RegistryDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  repo: OciRepository,
  reference: string,
): Promise<FastifyReply> {
  const digest = parseDigest(reference);
  // A blob no readable repository names is answered exactly like a missing one.
  const unknown = () =>
    ociError('BLOB_UNKNOWN', 'not-found', `blob ${reference} is unknown in repository ${repositoryName(repo)}`, {
      digest: reference,
    });
  if (!(await blobInRepository(deps.db, repo, digest))) throw unknown();
  const bytes = await deps.blobs.get(digest);
  if (!bytes) throw unknown();
  reply
    .header('Docker-Content-Digest', reference)
    .header('ETag', `"${reference}"`)
    .header('Accept-Ranges', 'bytes')
    .type('application/octet-stream');
  const range = parseRange(request.headers.range, bytes.length);
  if (range === 'bad') {
    return reply.code(416).header('Content-Range', `bytes */${bytes.length}`).send();
  }
  if (range) {
    const part = bytes.subarray(range.start, range.end + 1);
    return reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${bytes.length}`)
      .header('Content-Length', part.length)
      .send(part);
  }
  return reply.header('Content-Length', bytes.length).send(bytes);
}

export function sendReferrers(reply: FastifyReply, list: StoredManifest[], filtered: boolean): FastifyReply {
  if (filtered) reply.header('OCI-Filters-Applied', 'artifactType');
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: list.map((m) => ({
      mediaType: m.mediaType,
      digest: ociDigest(m.digest),
      size: m.body.length,
      ...(m.artifactType ? { artifactType: m.artifactType } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
    })),
  };
  // Exactly the index media type (oras compares it whole: no "; charset").
  return reply.header('Content-Type', OCI_INDEX).send(Buffer.from(JSON.stringify(index)));
}

export function sendTags(
  reply: FastifyReply,
  repo: OciRepository,
  page: { tags: string[]; more: boolean },
  n: number | undefined,
): FastifyReply {
  if (page.more && n !== undefined) {
    const last = page.tags[page.tags.length - 1] ?? '';
    reply.header('Link', `<${base(repo)}/tags/list?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`);
  }
  return reply.send({ name: repositoryName(repo), tags: page.tags });
}

/** 201 for content now at `path` (manifests/… or blobs/…), named by its digest. */
export function created(
  reply: FastifyReply,
  repo: OciRepository,
  kind: 'manifests' | 'blobs',
  hex: string,
): FastifyReply {
  return reply
    .code(201)
    .header('Location', `${base(repo)}/${kind}/${ociDigest(hex)}`)
    .header('Docker-Content-Digest', ociDigest(hex))
    .header('Content-Length', 0)
    .send();
}

export function uploadHeaders(reply: FastifyReply, repo: OciRepository, id: string, size: number): FastifyReply {
  return reply
    .header('Location', `${base(repo)}/blobs/uploads/${id}`)
    .header('Docker-Upload-UUID', id)
    .header('Range', `0-${Math.max(0, size - 1)}`)
    .header('Content-Length', 0);
}
