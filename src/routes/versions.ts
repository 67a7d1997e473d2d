// Versions of an app under /api/v1: list, upload, read, delete, package, lifecycle
// actions, events, files, and the values check for upgrades.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { deleteVersion, createDraft } from '../versions/versions.js';
import { getVersionDetail, getVersionFiles, listVersionDetails } from '../versions/app-versions.js';
import { listEvents } from '../lifecycle/audit.js';
import { applyVersionAction, checkActor, TRANSITION_ACTIONS, type TransitionAction } from '../versions/transitions.js';
import { checkValues } from '../charts/schema-workers.js';
import { readChartUpload } from './upload-body.js';
import { appParams, versionParams, type AppParams, type VersionParams } from './params.js';
import { appJson, callerName, versionJson } from './presenters.js';
import { sendPackage } from '../http/send.js';
import { readBody } from './body.js';
import { eventsCursor, eventsPage, eventsQuery, type PagingQuery } from './paging.js';
import { access, appScope, versionScope } from '../http/access.js';

// A Map, as the name comes from the URL: on an object, "constructor" would find Object.
const FILES = new Map<string, { column: 'readme' | 'valuesYaml' | 'valuesSchema' | 'chartYaml'; type: string }>([
  ['README.md', { column: 'readme', type: 'text/markdown; charset=utf-8' }],
  ['values.yaml', { column: 'valuesYaml', type: 'application/yaml; charset=utf-8' }],
  ['values.schema.json', { column: 'valuesSchema', type: 'application/schema+json; charset=utf-8' }],
  ['Chart.yaml', { column: 'chartYaml', type: 'application/yaml; charset=utf-8' }],
]);

const MAX_VALUES_BYTES = 1024 * 1024;

export default async function versionRoutes(app: FastifyInstance): Promise<void> {
  const base = '/api/v1/workspaces/:ws/apps/:app/versions';

  app.get<{ Params: AppParams }>(
    base,
    { config: { access: access.workspace('workspace-viewer', { resolve: 'app' }) }, schema: { params: appParams } },
    async (request) => {
      const ctx = appScope(request);
      const versions = await listVersionDetails(app.db, ctx.app.id);
      return { items: versions.map((v) => versionJson(v, ctx.app.name, ctx.workspace.name, ctx.actors)) };
    },
  );

  app.post<{ Params: AppParams }>(
    base,
    { config: { access: access.workspace('workspace-regular', { resolve: 'app' }) }, schema: { params: appParams } },
    async (request, reply) => {
      const ctx = appScope(request);
      const upload = await readChartUpload(request, app.config.maxUploadBytes);
      await createDraft(app.db, app.blobs, {
        workspaceId: ctx.workspace.id,
        pkg: upload.pkg,
        prov: upload.prov,
        force: false,
        expectName: ctx.app.name,
        uploaderId: request.principal?.userId ?? null,
        actor: callerName(request),
        updateLog: upload.updateLog,
      });
      const version = await getVersionDetail(app.db, ctx.app.id, ctx.app.name, upload.pkg.metadata.version);
      return reply.code(201).send({
        app: appJson(ctx.app, ctx.workspace.name),
        version: versionJson(version, ctx.app.name, ctx.workspace.name, ctx.actors),
      });
    },
  );

  app.get<{ Params: VersionParams }>(
    `${base}/:version`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: { params: versionParams },
    },
    async (request) => {
      const ctx = versionScope(request);
      return versionJson(ctx.version, ctx.app.name, ctx.workspace.name, ctx.actors);
    },
  );

  app.delete<{ Params: VersionParams }>(
    `${base}/:version`,
    {
      config: {
        access: access.workspace('workspace-regular', { resolve: 'version', orPermission: 'app-templates.manage' }),
      },
      schema: { params: versionParams },
    },
    async (request, reply) => {
      const ctx = versionScope(request);
      checkActor('delete', { username: callerName(request), actors: ctx.actors });
      await deleteVersion(
        app.db,
        app.blobs,
        ctx.workspace.id,
        ctx.app.name,
        ctx.version.version,
        callerName(request),
        ctx.actors,
      );
      return reply.code(204).send();
    },
  );

  app.get<{ Params: VersionParams }>(
    `${base}/:version/package`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: { params: versionParams },
    },
    async (request, reply) => {
      const ctx = versionScope(request);
      return sendPackage(request, reply, ctx.version.digest, {
        prov: false,
        cacheControl: 'private, max-age=0, must-revalidate',
        filename: `${ctx.app.name}-${ctx.version.version}.tgz`,
      });
    },
  );

  // Replaces a draft's (or rejected version's) package with one of the same name and version.
  app.put<{ Params: VersionParams }>(
    `${base}/:version/package`,
    {
      config: { access: access.workspace('workspace-regular', { resolve: 'version' }) },
      schema: { params: versionParams },
    },
    async (request) => {
      const ctx = versionScope(request);
      const upload = await readChartUpload(request, app.config.maxUploadBytes);
      if (upload.pkg.metadata.version !== ctx.version.version) {
        throw new AppError(
          'chart-invalid',
          `the package is version ${upload.pkg.metadata.version}; this is version ${ctx.version.version}`,
        );
      }
      await createDraft(app.db, app.blobs, {
        workspaceId: ctx.workspace.id,
        pkg: upload.pkg,
        prov: upload.prov,
        force: true,
        replaceOnly: true,
        expectName: ctx.app.name,
        uploaderId: request.principal?.userId ?? null,
        actor: callerName(request),
        updateLog: upload.updateLog ?? ctx.version.updateLog,
      });
      const version = await getVersionDetail(app.db, ctx.app.id, ctx.app.name, ctx.version.version);
      return versionJson(version, ctx.app.name, ctx.workspace.name, ctx.actors);
    },
  );

  app.post<{ Params: VersionParams; Body: { action: TransitionAction; message?: string } }>(
    `${base}/:version/actions`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: {
        params: versionParams,
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: TRANSITION_ACTIONS },
            message: { type: 'string', maxLength: 5000 },
          },
        },
      },
    },
    async (request) => {
      const ctx = versionScope(request);
      await applyVersionAction(app.db, {
        workspaceId: ctx.workspace.id,
        app: ctx.app.name,
        version: ctx.version.version,
        action: request.body.action,
        message: request.body.message,
        caller: { username: callerName(request), actors: ctx.actors },
      });
      const version = await getVersionDetail(app.db, ctx.app.id, ctx.app.name, ctx.version.version);
      return versionJson(version, ctx.app.name, ctx.workspace.name, ctx.actors);
    },
  );

  app.get<{ Params: VersionParams; Querystring: PagingQuery }>(
    `${base}/:version/events`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: { params: versionParams, querystring: eventsQuery },
    },
    async (request) => {
      const ctx = versionScope(request);
      return eventsPage(
        await listEvents(
          app.db,
          ctx.app.id,
          ctx.version.version,
          request.query.limit,
          eventsCursor(request.query.cursor),
        ),
      );
    },
  );

  app.get<{ Params: VersionParams & { name: string } }>(
    `${base}/:version/files/:name`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: {
        params: {
          ...versionParams,
          required: [...versionParams.required, 'name'],
          properties: { ...versionParams.properties, name: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const file = FILES.get(request.params.name);
      if (!file) {
        throw new AppError(
          'not-found',
          `no file ${JSON.stringify(request.params.name)}; available: ${[...FILES.keys()].join(', ')}`,
        );
      }
      const ctx = versionScope(request);
      const text = (await getVersionFiles(app.db, ctx.version.id))[file.column];
      if (text === null) {
        throw new AppError('not-found', `version ${ctx.version.version} has no ${request.params.name}`);
      }
      return reply.type(file.type).send(text);
    },
  );

  app.post<{ Params: VersionParams }>(
    `${base}/:version/values/validate`,
    {
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
      schema: { params: versionParams },
    },
    async (request) => {
      const ctx = versionScope(request);
      const yamlText = (
        await readBody(
          request,
          MAX_VALUES_BYTES,
          () => new AppError('upload-too-large', `the values are larger than ${MAX_VALUES_BYTES} bytes`),
        )
      ).toString('utf8');
      const files = await getVersionFiles(app.db, ctx.version.id);
      if (files.valuesSchema === null) {
        return {
          valid: null,
          hasSchema: false,
          errors: [],
          message: `version ${ctx.version.version} has no values.schema.json, so there is nothing to check against`,
        };
      }
      const errors = await checkValues(files.valuesSchema, yamlText);
      return { valid: errors.length === 0, hasSchema: true, errors };
    },
  );
}
