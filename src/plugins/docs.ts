// The API contract at /openapi.json and interactive docs at /docs, from
// openapi/openapi.yaml as it is written (the request schemas routes use are generated from it too).
import fp from 'fastify-plugin';
import fs from 'node:fs/promises';
import yaml from 'js-yaml';
import swagger, { type SwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { projectPath } from '../paths.js';
import { access } from '../http/access.js';

export default fp(
  async (app) => {
    const document = yaml.load(await fs.readFile(projectPath('openapi', 'openapi.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    await app.register(async (docs) => {
      // Everything the docs UI serves is public, like the contract itself.
      docs.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), access: access.public };
      });
      // The file is checked against the OpenAPI 3.1 schema by test/openapi.test.ts.
      const options = { mode: 'static', specification: { document } } as unknown as SwaggerOptions;
      await docs.register(swagger, options);
      await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
      docs.get('/openapi.json', async () => document);
    });
  },
  { name: 'chartroom-docs' },
);
