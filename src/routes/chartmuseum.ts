// The ChartMuseum-compatible API of a workspace, so `helm cm-push` works unchanged
// (it posts to <host>/api<repo path>/charts), under /api/workspaces/ (the prefix src/app.ts
// gives). Replies use ChartMuseum's shapes, errors included: this plugin sets its own
// error and not-found handlers, which answer {"error": "...", "code": "..."}.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { groupEntries, compareVersionsDesc, toIndexEntry } from '../index/render.js';
import { deleteVersion, listWorkspaceVersions, createDraft } from '../versions/versions.js';
import { attachProvenance } from '../versions/provenance.js';
import { formParts, partFile, readChartUpload, readProvPart } from './upload-body.js';
import { rawBody } from './body.js';
import { repoBaseUrl } from '../http/send.js';
import { MAX_PROV_BYTES } from '../charts/provenance.js';
import { access, workspaceScope } from '../http/access.js';
import * as contract from '../http/contract.generated.js';
import { errorHandler, notFoundHandler, sendChartMuseumError } from '../plugins/errors.js';

function truthyFlag(v: unknown): boolean {
  // ChartMuseum treats a bare ?force (and ?force=true) as set.
  return v !== undefined && v !== 'false' && v !== '0';
}

const chartMuseumRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  // Errors of these routes, and requests for URLs under the prefix that no route serves.
  app.setErrorHandler(errorHandler(sendChartMuseumError));
  app.setNotFoundHandler(notFoundHandler(sendChartMuseumError));

  app.post(
    '/:ws/charts',
    { schema: contract.cmUploadChart, config: { access: access.workspace('workspace-regular') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      const upload = await readChartUpload(request, app.config.maxUploadBytes);
      const result = await createDraft(app.db, app.blobs, {
        workspaceId: workspace.id,
        pkg: upload.pkg,
        prov: upload.prov,
        force: truthyFlag(request.query.force),
        uploaderId: request.principal?.userId ?? null,
        actor: request.principal?.username ?? 'anonymous',
        updateLog: upload.updateLog,
      });
      request.log.info(
        {
          workspace: workspace.name,
          chart: upload.pkg.metadata.name,
          version: upload.pkg.metadata.version,
          digest: upload.pkg.digest,
          replaced: !result.created,
        },
        'chart uploaded',
      );
      return reply.code(201).send({ saved: true });
    },
  );

  app.post(
    '/:ws/prov',
    { schema: contract.cmUploadProvenance, config: { access: access.workspace('workspace-regular') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      let prov: Buffer | null = null;
      if (request.isMultipart()) {
        for await (const part of formParts(request, { fileSize: MAX_PROV_BYTES + 1, files: 1 })) {
          if (part.type === 'file' && part.fieldname === 'prov') prov = await readProvPart(partFile(part));
          else if (part.type === 'file') part.file.resume();
        }
      } else if (request.body !== undefined && request.body !== null) {
        prov = await readProvPart(rawBody(request));
      }
      if (!prov || prov.length === 0) {
        throw new AppError('bad-request', 'send the provenance file as the multipart field "prov" or as the body');
      }
      await attachProvenance(app.db, app.blobs, workspace.id, prov, request.principal?.username ?? 'anonymous');
      return reply.code(201).send({ saved: true });
    },
  );

  app.get(
    '/:ws/charts',
    { schema: contract.cmListCharts, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const versions = await listWorkspaceVersions(app.db, workspace.id);
      return groupEntries(versions, repoBaseUrl(app, `/workspaces/${workspace.name}`));
    },
  );

  app.get(
    '/:ws/charts/:name',
    { schema: contract.cmGetChart, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const versions = await listWorkspaceVersions(app.db, workspace.id, [request.params.name]);
      if (versions.length === 0) {
        throw new AppError('not-found', `chart ${JSON.stringify(request.params.name)} not found`);
      }
      return groupEntries(versions, repoBaseUrl(app, `/workspaces/${workspace.name}`))[request.params.name];
    },
  );

  app.get(
    '/:ws/charts/:name/:version',
    { schema: contract.cmGetChartVersion, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const { name, version } = request.params;
      const versions = await listWorkspaceVersions(app.db, workspace.id, [name]);
      versions.sort((a, b) => compareVersionsDesc(a.metadata.version, b.metadata.version));
      // ChartMuseum answers "latest" with the newest version.
      const hit = version === 'latest' ? versions[0] : versions.find((v) => v.metadata.version === version);
      if (!hit) {
        throw new AppError('not-found', `chart ${JSON.stringify(name)} version ${JSON.stringify(version)} not found`);
      }
      return toIndexEntry(hit, repoBaseUrl(app, `/workspaces/${workspace.name}`));
    },
  );

  app.delete(
    '/:ws/charts/:name/:version',
    {
      schema: contract.cmDeleteChartVersion,
      config: { access: access.workspace('workspace-regular', { orPermission: 'app-templates.manage' }) },
    },
    async (request) => {
      const { workspace, actors } = workspaceScope(request);
      await deleteVersion(
        app.db,
        app.blobs,
        workspace.id,
        request.params.name,
        request.params.version,
        request.principal?.username ?? 'anonymous',
        actors,
      );
      return { deleted: true };
    },
  );
};

export default chartMuseumRoutes;
