// `node dist/src/cli.js <command>`: operators' commands, run against the database and
// blob store that the server's own environment variables configure. Exit codes: 0 done
// and nothing wrong, 1 done and something found wrong (damage, blobs not copied),
// 2 could not run (usage, configuration, a database or store that cannot be opened).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { openBlobStore, type BlobStore } from './blobs/index.js';
import { DiskBlobStore } from './blobs/disk-store.js';
import { BLOB_PREFIX } from './blobs/keys.js';
import { checkBlobs, formatCheckReport } from './blobs/check.js';
import { copyBlobs, type CopyReport } from './blobs/copy.js';

const USAGE = `usage: node dist/src/cli.js <command> [options]

Configured by the same environment variables as the server (DATABASE_URL, S3_*,
CHARTROOM_DATA_DIR, ...). Stop an embedded server (no DATABASE_URL) before running
a command that opens its database.

commands:
  check [--json] [--concurrency N]
      Reads back every blob a row references and checks its sha256 and recorded size;
      lists missing and damaged blobs with the rows that use them, and unreferenced
      ones (harmless: swept after the grace period). Changes nothing.
      Exit 0: nothing missing or damaged; 1: damage found; 2: could not run.
  export-blobs <dir>
      Copies every blob of the configured store into <dir> (created when missing),
      laid out like the embedded store's $CHARTROOM_DATA_DIR/blobs. Blobs already
      there are skipped. Needs no database.
  import-blobs <dir>
      Copies every blob in <dir> (as export-blobs wrote it) into the configured store.
  help
      This text.
`;

class UsageError extends Error {}

interface Command {
  run(args: string[]): Promise<number>;
}

/** The configured database must already exist: opening a wrong data directory would create an empty one. */
function requireEmbeddedDatabase(config: Config): void {
  if (config.databaseUrl) return;
  const pg = path.join(config.dataDir, 'pg');
  if (!fs.existsSync(path.join(pg, 'PG_VERSION'))) {
    throw new UsageError(`no embedded database at ${pg}: set CHARTROOM_DATA_DIR (or DATABASE_URL) to the server's`);
  }
}

/** Likewise the disk store, which would be created empty. */
function requireDiskStore(config: Config): void {
  if (config.s3) return;
  const dir = path.join(config.dataDir, 'blobs', BLOB_PREFIX);
  if (!fs.existsSync(dir)) throw new UsageError(`no blob store at ${dir}: set CHARTROOM_DATA_DIR to the server's`);
}

async function withStore<T>(store: Promise<BlobStore>, fn: (s: BlobStore) => Promise<T>): Promise<T> {
  const s = await store;
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function printCopy(verb: string, r: CopyReport): number {
  process.stdout.write(`${verb} ${r.copied} blob(s), ${r.skipped} already there, ${r.failed.length} failed\n`);
  for (const f of r.failed) process.stdout.write(`  sha256:${f.digest}: ${f.error}\n`);
  return r.failed.length > 0 ? 1 : 0;
}

function oneDirectory(args: string[]): string {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('name one directory');
  return path.resolve(positionals[0] as string);
}

const commands: Record<string, Command> = {
  check: {
    async run(args) {
      const { values, positionals } = parseArgs({
        args,
        options: { json: { type: 'boolean', default: false }, concurrency: { type: 'string', default: '4' } },
      });
      const concurrency = Number(values.concurrency);
      if (positionals.length > 0 || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new UsageError('check takes --json and --concurrency N (1 to 64)');
      }
      const config = loadConfig();
      requireEmbeddedDatabase(config);
      requireDiskStore(config);
      const db = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pg') });
      try {
        const report = await withStore(openBlobStore(config), (blobs) => checkBlobs(db, blobs, { concurrency }));
        process.stdout.write(
          values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report, config.blobGraceSeconds),
        );
        return report.ok ? 0 : 1;
      } finally {
        await db.close();
      }
    },
  },
  'export-blobs': {
    async run(args) {
      const dir = oneDirectory(args);
      const config = loadConfig();
      requireDiskStore(config);
      return withStore(openBlobStore(config), async (from) =>
        printCopy('exported', await withStore(DiskBlobStore.open(dir), (to) => copyBlobs(from, to))),
      );
    },
  },
  'import-blobs': {
    async run(args) {
      const dir = oneDirectory(args);
      if (!fs.existsSync(path.join(dir, BLOB_PREFIX))) throw new UsageError(`${dir} holds no exported blobs`);
      const config = loadConfig();
      return withStore(DiskBlobStore.open(dir), async (from) =>
        printCopy('imported', await withStore(openBlobStore(config), (to) => copyBlobs(from, to))),
      );
    },
  },
  help: {
    async run() {
      process.stdout.write(USAGE);
      return 0;
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h') return commands.help!.run([]);
  const command = name === undefined ? undefined : commands[name];
  if (!command) throw new UsageError(name === undefined ? 'name a command' : `unknown command ${JSON.stringify(name)}`);
  return command.run(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`chartroom: ${(err as Error).message}\n${usage ? `\n${USAGE}` : ''}`);
  process.exitCode = 2;
}
