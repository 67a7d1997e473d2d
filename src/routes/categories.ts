// Store categories: read by whoever may read the store; managed by app-templates.manage.
import type { FastifyInstance } from 'fastify';
import {
  createCategory,
  deleteCategory,
  getCategory,
  listCategories,
  setCategoryIcon,
  updateCategory,
} from '../categories/categories.js';
import { inspectIcon } from '../icons/icons.js';
import { categoryJson } from './presenters.js';
import { readIcon } from './apps.js';
import { sendIcon } from '../http/send.js';
import { access } from '../http/access.js';

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export default async function categoryRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/categories', { config: { access: access.store } }, async () => ({
    items: (await listCategories(app.db)).map(categoryJson),
  }));

  app.post<{ Body: { name: string; description?: string } }>(
    '/api/v1/categories',
    {
      config: { access: access.permission('app-templates.manage') },
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            description: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (request, reply) => {
      const c = await createCategory(app.db, request.body);
      return reply.code(201).header('Location', `/api/v1/categories/${c.id}`).send(categoryJson(c));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/categories/:id',
    { config: { access: access.store }, schema: { params: idParam } },
    async (request) => categoryJson(await getCategory(app.db, request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string } }>(
    '/api/v1/categories/:id',
    {
      config: { access: access.permission('app-templates.manage') },
      schema: {
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            description: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (request) => {
      return categoryJson(await updateCategory(app.db, request.params.id, request.body));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/categories/:id',
    { config: { access: access.permission('app-templates.manage') }, schema: { params: idParam } },
    async (request, reply) => {
      await deleteCategory(app.db, app.blobs, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/categories/:id/icon',
    { config: { access: access.store }, schema: { params: idParam } },
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

  app.put<{ Params: { id: string } }>(
    '/api/v1/categories/:id/icon',
    { config: { access: access.permission('app-templates.manage') }, schema: { params: idParam } },
    async (request) => {
      await getCategory(app.db, request.params.id);
      const bytes = await readIcon(request);
      const info = inspectIcon(bytes);
      return categoryJson(await setCategoryIcon(app.db, app.blobs, request.params.id, bytes, info.contentType));
    },
  );
}
