// The OCI distribution API (v1.1) under /v2 (the prefix src/app.ts gives), so that
// `helm push oci://…`, `helm install oci://…`, oras and crane work (SPEC section 11):
//   workspaces/<ws>/<chart>  a workspace's versions of a chart, any state; push and pull
//   store/<chart>            exactly the store index's versions; pull only
// Errors use the spec's {"errors":[{"code","message","detail"}]} through this plugin's own
// handlers. Bodies arrive as raw bytes (blobs, manifests) whatever their content type.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { access, caller, workspaceScope } from '../http/access.js';
import * as contract from '../http/contract.generated.js';
import { errorHandler, notFoundHandler } from '../plugins/errors.js';
import { ensureBlob } from '../blobs/references.js';
import { findWorkspaceForUser } from '../workspaces/workspaces.js';
import { effectiveWorkspaceRole } from '../accounts/principal.js';
import { MAX_MANIFEST_BYTES, ociDigest, ociError, parseDigest } from '../oci/oci.js';
import {
  blobInRepository,
  deleteManifest,
  getManifest,
  listTags,
  putManifest,
  referrersOf,
  repositoryName,
  type OciRepository,
  type RegistryDeps,
} from '../oci/registry.js';
import {
  checkDigest,
  sendOciError,
  type WorkspaceRepo,
  workspaceRepo,
  storeRepo,
  bodyBytes,
  sendManifest,
  sendBlob,
  sendReferrers,
  sendTags,
  created,
  uploadHeaders,
} from './oci-replies.js';
import { appendChunk, endUpload, getUpload, linkBlob, startUpload, uploadBytes } from '../oci/uploads.js';

/** Whether the caller may read the repository named `from` (for a cross-repository mount). */
async function readableRepository(request: FastifyRequest, from: string): Promise<OciRepository | null> {
  const store = /^store\/([^/]+)$/.exec(from);
  if (store) return request.server.config.storePublic || request.principal ? storeRepo(store[1]!) : null;
  const ws = /^workspaces\/([^/]+)\/([^/]+)$/.exec(from);
  if (!ws || !request.principal) return null;
  const found = await findWorkspaceForUser(request.server.db, ws[1]!, request.principal.userId);
  if (!found || !effectiveWorkspaceRole(request.principal, found.memberRole)) return null;
  return { kind: 'workspace', workspaceId: found.workspace.id, workspaceName: found.workspace.name, chart: ws[2]! };
}

const ociRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  const deps: RegistryDeps = { db: app.db, blobs: app.blobs, maxUploadBytes: app.config.maxUploadBytes };
  app.setErrorHandler(errorHandler(sendOciError));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    if (/^\/v2\/store\//.test(path) && request.method !== 'GET' && request.method !== 'HEAD') {
      return sendOciError(
        request,
        reply,
        ociError(
          'DENIED',
          'method-not-allowed',
          'store/ repositories are pull-only: push to workspaces/<workspace>/<chart>',
        ),
      );
    }
    if (request.method === 'DELETE' && /^\/v2\/workspaces\/[^/]+\/[^/]+\/blobs\/[^/]+$/.test(path)) {
      return sendOciError(
        request,
        reply,
        ociError(
          'UNSUPPORTED',
          'method-not-allowed',
          'blobs are not deleted by clients: a blob goes once no version, manifest or upload names it',
        ),
      );
    }
    return notFoundHandler(sendOciError)(request, reply);
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
  });
  // Blobs and manifests are bytes, whatever type the client names.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: Math.max(app.config.maxUploadBytes, MAX_MANIFEST_BYTES) },
    (_request, body, done) => done(null, body),
  );

  app.get(
    '/',
    { schema: contract.ociBase, config: { access: access.signedIn }, prefixTrailingSlash: 'slash' },
    async (request, reply) => {
      caller(request);
      return reply.send({});
    },
  );

  // ---- workspace repositories: workspaces/<ws>/<chart>
  const read = { access: access.workspace('workspace-viewer') };
  const write = { access: access.workspace('workspace-regular') };
  // Deleting follows the lifecycle's delete rule (SPEC section 4): ISVs, or reviewers.
  const remove = { access: access.workspace('workspace-regular', { orPermission: 'app-templates.manage' }) };

  app.get(
    '/workspaces/:ws/:name/tags/list',
    { schema: contract.ociWorkspaceTags, config: read },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const { n, last } = request.query;
      return sendTags(reply, repo, await listTags(app.db, repo, { n, last }), n);
    },
  );

  app.get(
    '/workspaces/:ws/:name/manifests/:reference',
    { schema: contract.ociWorkspaceGetManifest, config: read },
    async (request, reply) =>
      sendManifest(
        reply,
        await getManifest(deps, workspaceRepo(request, request.params.name), request.params.reference),
      ),
  );

  app.put(
    '/workspaces/:ws/:name/manifests/:reference',
    { schema: contract.ociWorkspacePutManifest, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const p = caller(request);
      const result = await putManifest(
        deps,
        repo,
        request.params.reference,
        bodyBytes(request),
        request.headers['content-type'],
        { userId: p.userId, username: p.username },
      );
      request.log.info(
        { repository: repositoryName(repo), digest: result.digest, subject: result.subject, created: result.created },
        'manifest pushed',
      );
      if (result.subject) reply.header('OCI-Subject', ociDigest(result.subject));
      return created(reply, repo, 'manifests', result.digest);
    },
  );

  app.delete(
    '/workspaces/:ws/:name/manifests/:reference',
    { schema: contract.ociWorkspaceDeleteManifest, config: remove },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const p = caller(request);
      await deleteManifest(deps, repo, request.params.reference, {
        userId: p.userId,
        username: p.username,
        actors: workspaceScope(request).actors,
      });
      return reply.code(202).header('Content-Length', 0).send();
    },
  );

  app.get(
    '/workspaces/:ws/:name/blobs/:digest',
    { schema: contract.ociWorkspaceGetBlob, config: read },
    async (request, reply) =>
      sendBlob(deps, request, reply, workspaceRepo(request, request.params.name), request.params.digest),
  );

  app.get(
    '/workspaces/:ws/:name/referrers/:digest',
    { schema: contract.ociWorkspaceReferrers, config: read },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const type = request.query.artifactType;
      return sendReferrers(reply, await referrersOf(app.db, repo, parseDigest(request.params.digest), type), !!type);
    },
  );

  app.post(
    '/workspaces/:ws/:name/blobs/uploads/',
    { schema: contract.ociWorkspaceStartUpload, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const { digest, mount, from } = request.query;
      const blobCreated = (hex: string) => created(reply, repo, 'blobs', hex);
      if (mount !== undefined) {
        const hex = parseDigest(mount);
        const source = from === undefined ? null : await readableRepository(request, from);
        if (source && (await blobInRepository(app.db, source, hex))) {
          const bytes = await app.blobs.get(hex);
          if (bytes) {
            await linkStored(hex, bytes, repo);
            return blobCreated(hex);
          }
        }
        // Not mountable (unknown, or not readable by the caller): an ordinary upload instead.
      } else if (digest !== undefined) {
        const hex = parseDigest(digest);
        const bytes = bodyBytes(request);
        await storeBlob(hex, bytes, repo);
        return blobCreated(hex);
      }
      const session = await startUpload(app.db, repo.workspaceId, repo.chart);
      return uploadHeaders(reply.code(202), repo, session.id, 0).send();
    },
  );

  /**
   * Verifies the bytes against the digest, stores the blob and links it to the repository,
   * ending the upload session it came from (if any) in the same transaction.
   */
  async function storeBlob(hex: string, bytes: Buffer, repo: WorkspaceRepo, session?: string): Promise<void> {
    if (bytes.length > app.config.maxUploadBytes) {
      throw ociError(
        'SIZE_INVALID',
        'upload-too-large',
        `the blob holds ${bytes.length} bytes, more than the limit of ${app.config.maxUploadBytes} (CHARTROOM_MAX_UPLOAD_BYTES)`,
      );
    }
    checkDigest(hex, bytes);
    await app.blobs.put(hex, bytes);
    await linkStored(hex, bytes, repo, session);
  }

  /** Links a stored blob to the repository, making sure it is still there (a sweep may race). */
  async function linkStored(hex: string, bytes: Buffer, repo: WorkspaceRepo, session?: string): Promise<void> {
    await app.db.tx(async (q) => {
      await ensureBlob(q, app.blobs, hex, bytes);
      await linkBlob(q, repo.workspaceId, repo.chart, hex, bytes.length);
      if (session !== undefined) await endUpload(q, session);
    });
  }

  /** The first byte of a PATCH's Content-Range ("start-end"), or null when it has none. */
  function chunkStart(request: FastifyRequest): number | null {
    const header = request.headers['content-range'];
    if (header === undefined) return null;
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+)?$/.exec(String(header).trim());
    if (!m) {
      throw ociError(
        'BLOB_UPLOAD_INVALID',
        'range-not-satisfiable',
        `Content-Range ${JSON.stringify(header)} is not "<start>-<end>"`,
      );
    }
    return Number(m[1]);
  }

  app.patch(
    '/workspaces/:ws/:name/blobs/uploads/:uuid',
    { schema: contract.ociWorkspacePatchUpload, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const data = bodyBytes(request);
      const start = chunkStart(request);
      const session = await app.db.tx(async (q) => {
        const s = await getUpload(q, repo.workspaceId, repo.chart, request.params.uuid, { forUpdate: true });
        return appendChunk(q, s, start ?? s.size, data, app.config.maxUploadBytes);
      });
      return uploadHeaders(reply.code(202), repo, session.id, session.size).send();
    },
  );

  app.put(
    '/workspaces/:ws/:name/blobs/uploads/:uuid',
    { schema: contract.ociWorkspaceFinishUpload, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const hex = parseDigest(request.query.digest);
      const data = bodyBytes(request);
      const start = data.length > 0 ? chunkStart(request) : null;
      const uuid = request.params.uuid;
      const session = await getUpload(app.db, repo.workspaceId, repo.chart, uuid);
      let bytes: Buffer;
      if (session.size === 0 && (start ?? 0) === 0) {
        // The whole blob in this one request (how Helm and oras push): it never needs to
        // pass through the session's chunks in the database.
        bytes = data;
        checkDigest(hex, bytes);
      } else {
        bytes = await app.db.tx(async (q) => {
          const s = await getUpload(q, repo.workspaceId, repo.chart, uuid, { forUpdate: true });
          const all = await appendChunk(q, s, start ?? s.size, data, app.config.maxUploadBytes);
          const whole = await uploadBytes(q, all);
          // Checked before the transaction ends, so a wrong digest keeps the last chunk out.
          checkDigest(hex, whole);
          return whole;
        });
      }
      await storeBlob(hex, bytes, repo, uuid);
      return created(reply, repo, 'blobs', hex);
    },
  );

  app.get(
    '/workspaces/:ws/:name/blobs/uploads/:uuid',
    { schema: contract.ociWorkspaceGetUpload, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      const s = await getUpload(app.db, repo.workspaceId, repo.chart, request.params.uuid);
      return uploadHeaders(reply.code(204), repo, s.id, s.size).send();
    },
  );

  app.delete(
    '/workspaces/:ws/:name/blobs/uploads/:uuid',
    { schema: contract.ociWorkspaceCancelUpload, config: write },
    async (request, reply) => {
      const repo = workspaceRepo(request, request.params.name);
      await app.db.tx(async (q) => {
        const s = await getUpload(q, repo.workspaceId, repo.chart, request.params.uuid, { forUpdate: true });
        await endUpload(q, s.id);
      });
      return reply.code(204).send();
    },
  );

  // ---- the store: store/<chart>, pull only
  const store = { access: access.store };

  app.get('/store/:name/tags/list', { schema: contract.ociStoreTags, config: store }, async (request, reply) => {
    const repo = storeRepo(request.params.name);
    const { n, last } = request.query;
    return sendTags(reply, repo, await listTags(app.db, repo, { n, last }), n);
  });

  app.get(
    '/store/:name/manifests/:reference',
    { schema: contract.ociStoreGetManifest, config: store },
    async (request, reply) =>
      sendManifest(reply, await getManifest(deps, storeRepo(request.params.name), request.params.reference)),
  );

  app.get('/store/:name/blobs/:digest', { schema: contract.ociStoreGetBlob, config: store }, async (request, reply) =>
    sendBlob(deps, request, reply, storeRepo(request.params.name), request.params.digest),
  );

  app.get(
    '/store/:name/referrers/:digest',
    { schema: contract.ociStoreReferrers, config: store },
    async (request, reply) => {
      const repo = storeRepo(request.params.name);
      const type = request.query.artifactType;
      return sendReferrers(reply, await referrersOf(app.db, repo, parseDigest(request.params.digest), type), !!type);
    },
  );
};

export default ociRoutes;
