// requires: postgres, s3
// The consistency check (`node dist/src/cli.js check`, src/blobs/check.ts) on both
// set-ups: clean after real uploads of every kind of blob; an orphan is listed but is no
// damage (exit 0); a blob overwritten, truncated or deleted under its digest is reported
// with the rows that use it (exit 1), and `export-blobs` names the damaged ones it would
// not copy; the check runs as a process with human and JSON output, and refuses a wrong
// data directory or bad arguments (exit 2).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as Minio from 'minio';
import { adminAuth, freshPostgres, storeEnv, tempDir, testApp } from '../helpers/app.js';
import { engines, stores, type Engine, type Store } from '../helpers/env.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { openBlobStore } from '../../src/blobs/index.js';
import { blobKey } from '../../src/blobs/keys.js';
import { blobReferenced, listBlobReferences, referencedAmong } from '../../src/blobs/references.js';
import { checkBlobs, type CheckReport } from '../../src/blobs/check.js';
import { fill, runCli, sha, type Call } from './helpers.js';

/** Writes bytes under a digest behind the store's back, as disk rot or an operator would. */
async function overwrite(config: Config, digest: string, bytes: Buffer): Promise<void> {
  if (!config.s3) {
    await fs.promises.writeFile(path.join(config.dataDir, 'blobs', blobKey(digest)), bytes);
    return;
  }
  const { endPoint, port, useSSL, accessKey, secretKey, bucket } = config.s3;
  const client = new Minio.Client({ endPoint, port, useSSL, accessKey, secretKey, pathStyle: true });
  await client.putObject(bucket, blobKey(digest), bytes, bytes.length);
}

const setups: Array<[Engine, Store]> = [['pglite', 'disk']];
if (engines().includes('postgres') && stores().includes('s3')) setups.push(['postgres', 's3']);

for (const [engine, store] of setups) {
  t.test(`consistency check (${engine} + ${store})`, async (t) => {
    // A database on disk (PGlite under the data directory, or Postgres), so the CLI
    // process can open it too once this process has closed it.
    const env = await storeEnv(t, store);
    if (engine === 'postgres') env.DATABASE_URL = await freshPostgres(t);
    const config = loadConfig(env);
    const openDb = () => openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pg') });
    let db: Database = await openDb();
    const { app } = await testApp(t, { env, db });
    const call: Call = async (method, url, body, headers = {}) => {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: adminAuth, ...headers },
        payload: body as Buffer | Record<string, unknown> | undefined,
      });
      return { status: res.statusCode, text: res.body };
    };
    const filled = await fill(call);
    await app.close();
    // A fresh store for each check: the app's cache would hide what was done to the bytes.
    const check = async (): Promise<CheckReport> => {
      const blobs = await openBlobStore(config);
      try {
        return await checkBlobs(db, blobs, { concurrency: 3 });
      } finally {
        await blobs.close();
      }
    };
    const reopenAfterCli = async () => {
      if (engine === 'pglite') db = await openDb(); // one process at a time on PGlite
    };
    const closeForCli = async () => {
      if (engine === 'pglite') await db.close();
    };
    t.teardown(() => db.close().catch(() => undefined));

    const chart = (name: string, version: string) => {
      const c = filled.charts.find((x) => x.name === name && x.version === version);
      if (!c) throw new Error(`${name} ${version} was not filled in`);
      return c;
    };
    const web1 = chart('web', '1.0.0');
    const pushed = chart('pushed', '3.0.0');

    await t.test('clean after uploads of every kind', async (t) => {
      const refs = await listBlobReferences(db);
      const whats = refs.map((r) => r.what);
      for (const kind of [
        /^app demo\/web 1\.0\.0 package$/,
        /^app demo\/web 1\.1\.0 provenance$/,
        /^app demo\/web icon$/,
        /^category Database icon$/,
        /^app demo\/pushed 3\.0\.0 OCI manifest sha256:[0-9a-f]{64}$/,
      ]) {
        t.ok(
          whats.some((w) => kind.test(w)),
          `a reference like ${kind}`,
        );
      }
      const manifestRefs = refs.filter((r) => r.what.includes('OCI manifest'));
      t.same(
        manifestRefs.map((r) => [r.digest, r.size]).sort(),
        [
          [sha(filled.ociConfig), filled.ociConfig.length],
          [sha(pushed.bytes), pushed.bytes.length],
        ].sort(),
        "the manifest's blobs, with the sizes its descriptors give",
      );
      // The listing, the one-blob query and the sweep's batch query agree on what is referenced.
      const blobs = await openBlobStore(config);
      const listed = new Set(refs.map((r) => r.digest));
      const stored: string[] = [];
      for await (const b of blobs.list()) {
        stored.push(b.digest);
        t.equal(await blobReferenced(db, b.digest), listed.has(b.digest), `${b.digest.slice(0, 12)}: both agree`);
      }
      await blobs.close();
      const stranger = sha(randomBytes(64));
      t.same(
        [...(await referencedAmong(db, [...stored, stranger]))].sort(),
        stored.filter((d) => listed.has(d)).sort(),
        'the batch query finds every referenced blob of every kind, and nothing else',
      );

      const report = await check();
      t.equal(report.ok, true);
      t.same([report.missing, report.damaged, report.unreferenced], [[], [], []]);
      t.equal(report.referenced, report.stored, 'every stored blob is referenced');
      t.equal(report.referenced, new Set(refs.map((r) => r.digest)).size);
      t.ok(report.bytesChecked > 4 * 48 * 1024, `${report.bytesChecked} bytes read back`);
    });

    const orphan = randomBytes(3000);
    await t.test('an orphan is listed as unreferenced and is no damage', async (t) => {
      const blobs = await openBlobStore(config);
      await blobs.put(sha(orphan), orphan);
      await blobs.close();
      const report = await check();
      t.equal(report.ok, true);
      t.same(
        report.unreferenced.map((u) => [u.digest, u.size]),
        [[sha(orphan), orphan.length]],
      );

      await closeForCli();
      const cli = await runCli(['check'], env);
      await reopenAfterCli();
      t.equal(cli.code, 0, cli.stderr);
      t.match(cli.stdout, /unreferenced: 1 blob\(s\) no row uses\. They are harmless/);
      t.match(cli.stdout, new RegExp(`sha256:${sha(orphan)}`));
      t.match(cli.stdout, /OK: every referenced blob is present and intact/);
    });

    await t.test('overwritten, truncated and deleted blobs are damage, named by their rows', async (t) => {
      // Same length, other bytes; a provenance file cut short; a pushed layer gone.
      const altered = Buffer.from(web1.bytes);
      const at = altered.length - 10;
      altered.writeUInt8(altered.readUInt8(at) ^ 0xff, at);
      await overwrite(config, sha(web1.bytes), altered);
      await overwrite(config, sha(filled.prov), filled.prov.subarray(0, 100));
      const blobs = await openBlobStore(config);
      await blobs.delete(sha(pushed.bytes));
      await blobs.close();

      const report = await check();
      t.equal(report.ok, false);
      t.same(
        report.missing.map((m) => m.digest),
        [sha(pushed.bytes)],
      );
      t.match(report.missing[0]?.references, [
        'OCI blob link in workspaces/demo/pushed',
        /^app demo\/pushed 3\.0\.0 OCI manifest sha256:[0-9a-f]{64}$/,
        'app demo/pushed 3.0.0 package',
      ]);
      t.equal(report.missing[0]?.references.length, 3);
      const damaged = new Map(report.damaged.map((d) => [d.digest, d]));
      t.equal(damaged.size, 2);
      t.match(damaged.get(sha(web1.bytes)), {
        references: ['app demo/web 1.0.0 package'],
        problems: [`its ${altered.length} bytes hash to sha256:${sha(altered)}`],
        actualDigest: sha(altered),
        actualSize: web1.bytes.length,
      });
      t.match(damaged.get(sha(filled.prov)), {
        references: ['app demo/web 1.1.0 provenance'],
        problems: [
          /hash to sha256:/,
          `app demo/web 1.1.0 provenance records ${filled.prov.length} bytes, the blob has 100`,
        ],
        actualSize: 100,
      });
      t.same(
        report.unreferenced.map((u) => u.digest),
        [sha(orphan)],
        'the orphan is still listed',
      );

      await closeForCli();
      const human = await runCli(['check'], env);
      const json = await runCli(['check', '--json', '--concurrency', '2'], env);
      await reopenAfterCli();
      t.equal(human.code, 1, human.stderr);
      t.match(human.stdout, /MISSING: 1 referenced blob/);
      t.match(human.stdout, /DAMAGED: 2 referenced blob/);
      t.match(human.stdout, /used by app demo\/web 1\.0\.0 package/);
      t.match(human.stdout, /used by app demo\/pushed 3\.0\.0 package/);
      t.match(human.stdout, /DAMAGE: 1 missing, 2 damaged/);
      t.equal(json.code, 1, json.stderr);
      t.same(JSON.parse(json.stdout), report, 'the JSON output is the report');

      // A backup of a damaged store copies what is intact and names what is not.
      const exported = await runCli(['export-blobs', await tempDir(t)], env);
      t.equal(exported.code, 1);
      t.match(exported.stdout, /^exported \d+ blob\(s\), 0 already there, 2 failed/);
      t.match(exported.stdout, `sha256:${sha(web1.bytes)}: blob digest mismatch`);
      t.match(exported.stdout, `sha256:${sha(filled.prov)}: blob digest mismatch`);
    });

    await t.test('putting the right bytes back makes it clean', async (t) => {
      const blobs = await openBlobStore(config);
      await overwrite(config, sha(web1.bytes), web1.bytes);
      await overwrite(config, sha(filled.prov), filled.prov);
      await blobs.put(sha(pushed.bytes), pushed.bytes);
      await blobs.delete(sha(orphan));
      await blobs.close();
      const report = await check();
      t.same([report.ok, report.missing, report.damaged, report.unreferenced], [true, [], [], []]);
    });

    if (engine === 'pglite') {
      await t.test('exit 2: usage and a data directory that holds no database', async (t) => {
        await closeForCli();
        const empty = await tempDir(t);
        const wrongDir = await runCli(['check'], { CHARTROOM_DATA_DIR: empty });
        t.equal(wrongDir.code, 2);
        t.match(wrongDir.stderr, /no embedded database at .*: set CHARTROOM_DATA_DIR/);
        t.same(fs.readdirSync(empty), [], 'nothing was created there');
        const badOption = await runCli(['check', '--bogus'], env);
        t.equal(badOption.code, 2);
        t.match(badOption.stderr, /usage: node dist\/src\/cli\.js/);
        t.equal((await runCli(['frobnicate'], env)).code, 2);
        t.equal((await runCli([], env)).code, 2);
        t.equal((await runCli(['check', '--concurrency', '0'], env)).code, 2);
        t.equal((await runCli(['check'], { ...env, CHARTROOM_BLOB_GRACE_SECONDS: 'soon' })).code, 2, 'bad config');
        const help = await runCli(['help'], env);
        t.equal(help.code, 0);
        t.match(help.stdout, /export-blobs <dir>/);
        await reopenAfterCli();
      });
    }
  });
}
