// Store categories, under /api/v1/categories (the prefix src/app.ts gives): read by
// whoever may read the store; managed by app-templates.manage.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import {
  createCategory,
  deleteCategory,
  getCategory,
  listCategories,
  setCategoryIcon,
  updateCategory,
} from '../store/categories.js';
import { inspectIcon } from '../icons/icons.js';
import { categoryJson } from './presenters.js';
import { readIcon } from './apps.js';
import { sendIcon } from '../http/send.js';
import { access } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

const categoryRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get('', { schema: contract.listCategories, config: { access: access.store } }, async () => ({
    items: (await listCategories(app.db)).map(categoryJson),
  }));

  app.post(
    '',
    { schema: contract.createCategory, config: { access: access.permission('app-templates.manage') } },
    async (request, reply) => {
      const c = await createCategory(app.db, request.body);
      return reply.code(201).header('Location', `/api/v1/categories/${c.id}`).send(categoryJson(c));
    },
  );

  app.get('/:id', { schema: contract.getCategory, config: { access: access.store } }, async (request) =>
    categoryJson(await getCategory(app.db, request.params.id)),
  );

  app.patch(
    '/:id',
    { schema: contract.updateCategory, config: { access: access.permission('app-templates.manage') } },
    async (request) => {
      return categoryJson(await updateCategory(app.db, request.params.id, request.body));
    },
  );

  app.delete(
    '/:id',
    { schema: contract.deleteCategory, config: { access: access.permission('app-templates.manage') } },
    async (request, reply) => {
      await deleteCategory(app.db, app.blobs, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/:id/icon',
    { schema: contract.getCategoryIcon, config: { access: access.store } },
    async (request, reply) => {
      const c = await getCategory(app.db, request.params.id);
      return sendIcon(
        request,
        reply,
        { digest: c.iconDigest, type: c.iconType },
        `category ${JSON.stringify(c.name)} has no icon`,
      );
    },
  );

  app.put(
    '/:id/icon',
    { schema: contract.setCategoryIcon, config: { access: access.permission('app-templates.manage') } },
    async (request) => {
      await getCategory(app.db, request.params.id);
      const bytes = await readIcon(request);
      const info = inspectIcon(bytes);
      return categoryJson(await setCategoryIcon(app.db, app.blobs, request.params.id, bytes, info.contentType));
    },
  );
};

export default categoryRoutes;
