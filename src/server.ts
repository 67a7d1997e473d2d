// Entry point: configuration, first admin, listen, and a graceful stop on signals.
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './app.js';
import { ensureAdmin } from './accounts/bootstrap.js';
import { MigrationError } from './db/migrate.js';
import { warmSchemaWorkers } from './charts/schema-workers.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chartroom: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const app = await buildApp(config);
  try {
    await app.ready();
  } catch (err) {
    app.log.fatal({ err }, err instanceof MigrationError ? 'database migration failed' : 'start-up failed');
    process.exit(1);
  }

  const admin = await ensureAdmin(app.db, config.adminPassword);
  if (admin.generatedPassword) {
    // Printed once, on the first start only; set CHARTROOM_ADMIN_PASSWORD to choose it.
    app.log.warn(`created user "admin" with generated password: ${admin.generatedPassword}`);
  } else if (admin.created) {
    app.log.info('created user "admin" with CHARTROOM_ADMIN_PASSWORD');
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an uncaught error');
    else app.log.info({ signal }, 'stopping: finishing requests in flight');
    await app.close();
  });

  await app.listen({ port: config.port, host: config.host });
  warmSchemaWorkers();
  app.log.info(
    {
      database: app.db.engine,
      blobs: app.blobs.kind,
      dataDir: config.databaseUrl && config.s3 ? undefined : config.dataDir,
    },
    'chartroom ready',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`chartroom: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
