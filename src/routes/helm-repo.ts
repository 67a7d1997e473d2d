// Helm repository routes for workspace (draft) repositories, under /workspaces (the
// prefix src/app.ts gives):
//   GET|HEAD /workspaces/<ws>/index.yaml
//   GET|HEAD /workspaces/<ws>/charts/<name>-<version>.tgz[.prov]
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { findPackageByFile } from '../versions/versions.js';
import { access, workspaceScope } from '../http/access.js';
import { sendIndex, sendPackage } from '../http/send.js';
import { workspaceIndex } from '../http/repo-indexes.js';
import * as contract from '../http/contract.generated.js';

const helmRepoRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get(
    '/:ws/index.yaml',
    { schema: contract.getWorkspaceIndex, config: { access: access.workspace('workspace-viewer') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      return sendIndex(request, reply, await workspaceIndex(app, workspace), 'private, no-cache');
    },
  );

  app.get(
    '/:ws/charts/:file',
    { schema: contract.getWorkspaceChartFile, config: { access: access.workspace('workspace-viewer') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      const file = request.params.file;
      const hit = await app.db.cached(`package:${workspace.id}:${file}`, () =>
        findPackageByFile(app.db, workspace.id, file),
      );
      const digest = hit ? (hit.prov ? hit.version.provDigest : hit.version.digest) : null;
      if (!hit || !digest) {
        throw new AppError(
          'not-found',
          `${request.params.file} not found in workspace ${JSON.stringify(workspace.name)}`,
        );
      }
      return sendPackage(request, reply, digest, {
        prov: hit.prov,
        cacheControl: 'private, max-age=0, must-revalidate',
      });
    },
  );
};

export default helmRepoRoutes;
