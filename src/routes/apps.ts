// Apps of a workspace, under /api/v1/workspaces/:ws/apps (the prefix src/app.ts gives):
// list, upload, info, icon, suspension, events.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { getApp, listAppsPage, setAppIcon, setAppSuspended } from '../apps/apps.js';
import { deleteApp, updateAppInfo } from '../versions/containers.js';
import { createDraft } from '../versions/versions.js';
import { getVersionDetail, listVersionDetails, newestVersions } from '../versions/app-versions.js';
import { listEvents } from '../lifecycle/audit.js';
import { inspectIcon, MAX_ICON_BYTES } from '../icons/icons.js';
import { readChartUpload } from './upload-body.js';
import { appJson, callerName, versionJson } from './presenters.js';
import { actorsFor } from '../accounts/principal.js';
import { readBody } from './body.js';
import { decodeCursor, encodeCursor, eventsCursor, eventsPage } from './paging.js';
import { access, appScope, workspaceScope } from '../http/access.js';
import { sendIcon } from '../http/send.js';
import * as contract from '../http/contract.generated.js';

const appRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get(
    '',
    { schema: contract.listApps, config: { access: access.workspace('workspace-viewer') } },
    async (request) => {
      const { workspace, role } = workspaceScope(request);
      const actors = actorsFor(request.principal, role);
      const page = await listAppsPage(app.db, workspace.id, request.query.limit, decodeCursor(request.query.cursor));
      const newest = await newestVersions(
        app.db,
        page.items.map((a) => a.id),
      );
      const items = page.items.map((a) => {
        const v = newest.get(a.id);
        return {
          ...appJson(a, workspace.name),
          versionCount: v?.count ?? 0,
          latestVersion: v ? versionJson(v.newest, a.name, workspace.name, actors) : null,
        };
      });
      return { items, nextCursor: page.next === null ? null : encodeCursor(page.next) };
    },
  );

  // New app or new version of an existing app, from multipart `chart` (+ `prov`, `updateLog`).
  app.post(
    '',
    { schema: contract.uploadApp, config: { access: access.workspace('workspace-regular') } },
    async (request, reply) => {
      const { workspace, role } = workspaceScope(request);
      const upload = await readChartUpload(request, app.config.maxUploadBytes);
      const result = await createDraft(app.db, app.blobs, {
        workspaceId: workspace.id,
        pkg: upload.pkg,
        prov: upload.prov,
        force: false,
        uploaderId: request.principal?.userId ?? null,
        actor: callerName(request),
        updateLog: upload.updateLog,
      });
      const appRecord = await getApp(app.db, workspace.id, upload.pkg.metadata.name);
      const version = await getVersionDetail(app.db, result.appId, appRecord.name, upload.pkg.metadata.version);
      return reply.code(201).send({
        app: appJson(appRecord, workspace.name),
        version: versionJson(version, appRecord.name, workspace.name, actorsFor(request.principal, role)),
      });
    },
  );

  app.get(
    '/:app',
    { schema: contract.getApp, config: { access: access.workspace('workspace-viewer', { resolve: 'app' }) } },
    async (request) => {
      const ctx = appScope(request);
      const versions = await listVersionDetails(app.db, ctx.app.id);
      return {
        ...appJson(ctx.app, ctx.workspace.name),
        versions: versions.map((v) => versionJson(v, ctx.app.name, ctx.workspace.name, ctx.actors)),
      };
    },
  );

  app.patch(
    '/:app',
    {
      // The body's limits are those of src/apps/app-info.ts (APP_INFO_LIMITS, linkSchema),
      // which uploads follow too.
      schema: contract.updateApp,
      // ISVs edit the info; reviewers may move the app between categories (the handler's rule).
      config: {
        access: access.workspace('workspace-regular', { resolve: 'app', orPermission: 'app-templates.manage' }),
      },
    },
    async (request) => {
      const ctx = appScope(request);
      const body = request.body;
      // ISVs (workspace-regular and up) edit everything; reviewers may always move an app between categories.
      const onlyCategory = Object.keys(body).every((k) => k === 'category');
      if (!ctx.actors.has('isv') && !(onlyCategory && ctx.actors.has('reviewer'))) {
        throw new AppError(
          'forbidden',
          ctx.actors.has('reviewer')
            ? 'reviewers may change only the category'
            : 'editing an app needs the workspace-regular role or higher',
        );
      }
      const updated = await updateAppInfo(app.db, ctx.workspace.id, ctx.app.name, body, callerName(request));
      return appJson(updated, ctx.workspace.name);
    },
  );

  app.delete(
    '/:app',
    {
      schema: contract.deleteApp,
      // ISVs, or reviewers removing a store app (SPEC section 3); only an app with no versions left.
      config: {
        access: access.workspace('workspace-regular', { resolve: 'app', orPermission: 'app-templates.manage' }),
      },
    },
    async (request, reply) => {
      const ctx = appScope(request);
      await deleteApp(app.db, app.blobs, ctx.workspace.id, ctx.app.name);
      return reply.code(204).send();
    },
  );

  app.get(
    '/:app/icon',
    { schema: contract.getAppIcon, config: { access: access.workspace('workspace-viewer', { resolve: 'app' }) } },
    async (request, reply) => {
      const ctx = appScope(request);
      return sendIcon(
        request,
        reply,
        { digest: ctx.app.iconDigest, type: ctx.app.iconType },
        `app ${JSON.stringify(ctx.app.name)} has no icon`,
      );
    },
  );

  app.put(
    '/:app/icon',
    { schema: contract.setAppIcon, config: { access: access.workspace('workspace-regular', { resolve: 'app' }) } },
    async (request) => {
      const ctx = appScope(request);
      const bytes = await readIcon(request);
      const info = inspectIcon(bytes);
      const updated = await setAppIcon(
        app.db,
        app.blobs,
        ctx.workspace.id,
        ctx.app.name,
        bytes,
        info.contentType,
        callerName(request),
      );
      return appJson(updated, ctx.workspace.name);
    },
  );

  app.post(
    '/:app/actions',
    {
      schema: contract.actOnApp,
      config: {
        access: access.workspace('workspace-viewer', { resolve: 'app', andPermission: 'app-templates.manage' }),
      },
    },
    async (request) => {
      const ctx = appScope(request);
      const updated = await setAppSuspended(
        app.db,
        ctx.workspace.id,
        ctx.app.name,
        request.body.action === 'suspend',
        callerName(request),
        request.body.message ?? '',
      );
      return appJson(updated, ctx.workspace.name);
    },
  );

  app.get(
    '/:app/events',
    { schema: contract.listAppEvents, config: { access: access.workspace('workspace-viewer', { resolve: 'app' }) } },
    async (request) => {
      const ctx = appScope(request);
      return eventsPage(
        await listEvents(app.db, ctx.app.id, undefined, request.query.limit, eventsCursor(request.query.cursor)),
      );
    },
  );
};

export default appRoutes;

export function readIcon(request: Parameters<typeof readBody>[0]): Promise<Buffer> {
  return readBody(
    request,
    MAX_ICON_BYTES,
    () => new AppError('icon-invalid', `the icon is larger than ${MAX_ICON_BYTES} bytes (64 KiB)`),
  );
}
