// Versions of an app, under /api/v1/workspaces/:ws/apps/:app/versions (the prefix
// src/app.ts gives): list, upload, read, delete, package, lifecycle actions, events,
// files, and the values check for upgrades.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { deleteVersion, createDraft } from '../versions/versions.js';
import { getVersionDetail, getVersionFiles, listVersionDetails } from '../versions/app-versions.js';
import { listEvents } from '../lifecycle/audit.js';
import { applyVersionAction, type TransitionAction } from '../versions/transitions.js';
import { checkValues } from '../charts/schema-workers.js';
import { readChartUpload } from './upload-body.js';
import { appJson, callerName, versionJson } from './presenters.js';
import { sendPackage } from '../http/send.js';
import { readBody } from './body.js';
import { eventsCursor, eventsPage } from './paging.js';
import { access, appScope, versionScope } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

// A Map, as the name comes from the URL: on an object, "constructor" would find Object.
const FILES = new Map<string, { column: 'readme' | 'valuesYaml' | 'valuesSchema' | 'chartYaml'; type: string }>([
  ['README.md', { column: 'readme', type: 'text/markdown; charset=utf-8' }],
  ['values.yaml', { column: 'valuesYaml', type: 'application/yaml; charset=utf-8' }],
  ['values.schema.json', { column: 'valuesSchema', type: 'application/schema+json; charset=utf-8' }],
  ['Chart.yaml', { column: 'chartYaml', type: 'application/yaml; charset=utf-8' }],
]);

const MAX_VALUES_BYTES = 1024 * 1024;

// The contract's actions are exactly the state machine's (one added to either alone fails here).
type ContractAction = (typeof contract.actOnAppVersion.body.properties.action.enum)[number];
const _sameActions: [ContractAction, TransitionAction] extends [TransitionAction, ContractAction] ? true : false = true;

const versionRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get(
    '',
    {
      schema: contract.listAppVersions,
      config: { access: access.workspace('workspace-viewer', { resolve: 'app' }) },
    },
    async (request) => {
      const ctx = appScope(request);
      const versions = await listVersionDetails(app.db, ctx.app.id);
      return { items: versions.map((v) => versionJson(v, ctx.app.name, ctx.workspace.name, ctx.actors)) };
    },
  );

  app.post(
    '',
    {
      schema: contract.uploadAppVersion,
      config: { access: access.workspace('workspace-regular', { resolve: 'app' }) },
    },
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

  app.get(
    '/:version',
    {
      schema: contract.getAppVersion,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
    },
    async (request) => {
      const ctx = versionScope(request);
      return versionJson(ctx.version, ctx.app.name, ctx.workspace.name, ctx.actors);
    },
  );

  app.delete(
    '/:version',
    {
      schema: contract.deleteAppVersion,
      config: {
        access: access.workspace('workspace-regular', { resolve: 'version', orPermission: 'app-templates.manage' }),
      },
    },
    async (request, reply) => {
      const ctx = versionScope(request);
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

  app.get(
    '/:version/package',
    {
      schema: contract.getAppVersionPackage,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
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
  app.put(
    '/:version/package',
    {
      schema: contract.replaceAppVersionPackage,
      config: { access: access.workspace('workspace-regular', { resolve: 'version' }) },
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

  app.post(
    '/:version/actions',
    {
      schema: contract.actOnAppVersion,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
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

  app.get(
    '/:version/events',
    {
      schema: contract.listAppVersionEvents,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
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

  app.get(
    '/:version/files/:name',
    {
      schema: contract.getAppVersionFile,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
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

  app.post(
    '/:version/values/validate',
    {
      schema: contract.validateValues,
      config: { access: access.workspace('workspace-viewer', { resolve: 'version' }) },
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
};

export default versionRoutes;
