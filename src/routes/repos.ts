// Imported repositories of a workspace, under /api/v1/workspaces/:ws/repos (the prefix
// src/app.ts gives): SPEC section 12. Credentials go in and never come out: answers say
// only whether a repository has them.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { access, caller, workspaceScope } from '../http/access.js';
import * as contract from '../http/contract.generated.js';
import { AppError } from '../errors.js';
import {
  countEntries,
  createRepo,
  deleteRepo,
  getRepo,
  listRepos,
  normalizeRepoUrl,
  updateRepo,
  type ImportRepo,
  type RepoCounts,
} from '../imports/repos.js';
import { listRepoEvents } from '../imports/repo-events.js';
import { makeDue } from '../imports/schedule.js';
import { eventsCursor, eventsPage } from './paging.js';

function repoJson(r: ImportRepo, counts: RepoCounts | undefined, syncing: boolean) {
  return {
    name: r.name,
    url: r.url,
    kind: r.kind,
    plainHttp: r.plainHttp,
    hasCredentials: r.hasCredentials,
    syncInterval: r.syncInterval,
    trusted: r.trusted,
    status: syncing ? 'syncing' : r.status,
    lastSyncAt: r.lastSyncAt?.toISOString() ?? null,
    lastSuccessAt: r.lastSuccessAt?.toISOString() ?? null,
    lastError: r.lastError,
    nextSyncAt: r.nextSyncAt.toISOString(),
    counts: counts ?? { imported: 0, failed: 0, goneUpstream: 0 },
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Only reviewers (app-templates.manage) may let a repository publish to the store without review. */
function checkTrusted(request: FastifyRequest, trusted: boolean | undefined): void {
  if (trusted === true && !caller(request).permissions.has('app-templates.manage')) {
    throw new AppError(
      'forbidden',
      'only a user with the app-templates.manage permission can make a repository trusted (its versions skip review)',
    );
  }
}

/**
 * A trusted repository's versions reach the store unreviewed because a reviewer trusted
 * where they come from: moving it elsewhere (its URL, or plain HTTP) while it stays
 * trusted takes the same permission. Dropping the trust in the same change is allowed.
 */
function checkTrustedSource(
  request: FastifyRequest,
  repo: ImportRepo,
  patch: { url?: string; plainHttp?: boolean; trusted?: boolean },
): void {
  if (!repo.trusted || patch.trusted === false || caller(request).permissions.has('app-templates.manage')) return;
  const moved =
    (patch.url !== undefined && normalizeRepoUrl(patch.url) !== repo.url) ||
    (patch.plainHttp !== undefined && patch.plainHttp !== repo.plainHttp);
  if (moved) {
    throw new AppError(
      'forbidden',
      `repository ${JSON.stringify(repo.name)} is trusted (its versions skip review): only a user with the app-templates.manage permission can change its url or plainHttp, unless the same change sets trusted to false`,
    );
  }
}

const repoRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  const present = async (r: ImportRepo) =>
    repoJson(r, (await countEntries(app.db, [r.id])).get(r.id), app.importer.isRunning(r.id));

  app.get(
    '',
    { schema: contract.listRepos, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const repos = await listRepos(app.db, workspace.id);
      const counts = await countEntries(
        app.db,
        repos.map((r) => r.id),
      );
      return { items: repos.map((r) => repoJson(r, counts.get(r.id), app.importer.isRunning(r.id))) };
    },
  );

  app.post(
    '',
    { schema: contract.createRepo, config: { access: access.workspace('workspace-admin') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      checkTrusted(request, request.body.trusted);
      const repo = await createRepo(app.db, app.secretBox, workspace.id, request.body);
      // The first sync starts now (on whichever replica looks first; here if it can).
      void app.importer.syncNow(repo.id).catch((err: unknown) => request.log.warn({ err }, 'could not start a sync'));
      return reply
        .code(201)
        .header('Location', `/api/v1/workspaces/${workspace.name}/repos/${repo.name}`)
        .send(await present(repo));
    },
  );

  app.get(
    '/:repo',
    { schema: contract.getRepo, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      return present(await getRepo(app.db, workspace.id, request.params.repo));
    },
  );

  app.patch(
    '/:repo',
    { schema: contract.updateRepo, config: { access: access.workspace('workspace-admin') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      checkTrusted(request, request.body.trusted);
      const repo = await getRepo(app.db, workspace.id, request.params.repo);
      checkTrustedSource(request, repo, request.body);
      return present(await updateRepo(app.db, app.secretBox, repo, request.body));
    },
  );

  app.delete(
    '/:repo',
    { schema: contract.deleteRepo, config: { access: access.workspace('workspace-admin') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      await deleteRepo(app.db, await getRepo(app.db, workspace.id, request.params.repo));
      return reply.code(204).send();
    },
  );

  app.post(
    '/:repo/sync',
    { schema: contract.syncRepo, config: { access: access.workspace('workspace-admin') } },
    async (request, reply) => {
      const { workspace } = workspaceScope(request);
      const repo = await getRepo(app.db, workspace.id, request.params.repo);
      await makeDue(app.db, repo.id);
      // Here if no replica holds it; otherwise the holder is syncing already.
      const started = await app.importer.syncNow(repo.id);
      const now = await getRepo(app.db, workspace.id, repo.name);
      return reply.code(202).send({ ...(await present(now)), status: started ? 'syncing' : now.status });
    },
  );

  app.get(
    '/:repo/events',
    { schema: contract.listRepoEvents, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace } = workspaceScope(request);
      const repo = await getRepo(app.db, workspace.id, request.params.repo);
      return eventsPage(
        await listRepoEvents(app.db, repo.id, request.query.limit ?? 100, eventsCursor(request.query.cursor)),
      );
    },
  );
};

export default repoRoutes;
