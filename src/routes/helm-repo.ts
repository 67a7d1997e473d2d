// Helm repository routes for workspace (draft) repositories:
//   GET|HEAD /workspaces/<ws>/index.yaml
//   GET|HEAD /workspaces/<ws>/charts/<name>-<version>.tgz[.prov]
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { renderIndex } from '../index/render.js';
import type { RenderedIndex } from '../index/index-cache.js';
import { findPackageByFile, listWorkspaceVersions } from '../apps/versions.js';
import { workspaceAccess } from './access.js';

export function repoBaseUrl(app: FastifyInstance, repoPath: string): string | null {
  return app.config.publicUrl ? `${app.config.publicUrl}${repoPath}` : null;
}

/** Sends a cached index with ETag/304 and gzip when the client takes it. */
export function sendIndex(request: FastifyRequest, reply: FastifyReply, index: RenderedIndex, cacheControl: string): FastifyReply {
  reply.header('ETag', index.etag).header('Cache-Control', cacheControl).header('Vary', 'Accept-Encoding, Authorization');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').map((s) => s.trim()).some((t) => t === index.etag || t === `W/${index.etag}` || t === '*')) {
    return reply.code(304).send();
  }
  reply.type('application/x-yaml; charset=utf-8');
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    return reply.header('Content-Encoding', 'gzip').send(index.gzipped());
  }
  return reply.send(index.body);
}

export function sendPackage(request: FastifyRequest, reply: FastifyReply, bytes: Buffer, digest: string, prov: boolean, cacheControl: string): FastifyReply {
  const etag = `"${digest}"`;
  reply.header('ETag', etag).header('Cache-Control', cacheControl);
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.type(prov ? 'application/pgp-signature' : 'application/gzip').send(bytes);
}

export default async function helmRepoRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { ws: string } }>('/workspaces/:ws/index.yaml', async (request, reply) => {
    const { workspace } = await workspaceAccess(app, request, request.params.ws, 'workspace-viewer');
    const key = `workspace:${workspace.id}`;
    const index = await app.indexCache.get(key, String(workspace.revision), async () =>
      renderIndex(await listWorkspaceVersions(app.db, workspace.id), {
        baseUrl: repoBaseUrl(app, `/workspaces/${workspace.name}`),
      }),
    );
    return sendIndex(request, reply, index, 'private, no-cache');
  });

  app.get<{ Params: { ws: string; file: string } }>('/workspaces/:ws/charts/:file', async (request, reply) => {
    const { workspace } = await workspaceAccess(app, request, request.params.ws, 'workspace-viewer');
    const file = request.params.file;
    const hit = await app.db.cached(`package:${workspace.id}:${file}`, () => findPackageByFile(app.db, workspace.id, file));
    const digest = hit ? (hit.prov ? hit.version.provDigest : hit.version.digest) : null;
    if (!hit || !digest) throw new AppError('not-found', `${request.params.file} not found in workspace ${JSON.stringify(workspace.name)}`);
    const bytes = await app.blobs.get(digest);
    if (!bytes) throw new AppError('internal', `blob ${digest} is missing from the blob store`);
    return sendPackage(request, reply, bytes, digest, hit.prov, 'private, max-age=0, must-revalidate');
  });
}
