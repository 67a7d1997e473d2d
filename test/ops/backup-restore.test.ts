// requires: postgres, s3, helm
// Backup and restore as docs/operations.md tells operators to do it, with servers as
// processes. Postgres + S3: pg_dump of a running server, then its blobs copied out with
// `cli.js export-blobs` and into a fresh bucket with `import-blobs`, pg_restore into a
// fresh database. Embedded: the data directory of a stopped server copied. Either way,
// a server started on the copy serves byte-identical workspace and store indexes
// (`generated` included: it is stored, not the time of serving), holds the same blobs,
// passes `cli.js check`, and gives real `helm pull` the same packages.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { adminAuth, ADMIN_PASSWORD, freshBucket, freshPostgres, s3Env, tempDir } from '../helpers/app.js';
import { need } from '../helpers/env.js';
import { makeHelm, type Helm } from '../helpers/helm.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';
import { loadConfig } from '../../src/config.js';
import { openBlobStore } from '../../src/blobs/index.js';
import type { CheckReport } from '../../src/blobs/check.js';
import { fetchCall, fill, runCli, sha, type Filled } from './helpers.js';

const run = promisify(execFile);

interface Snapshot {
  workspaceIndex: Buffer;
  storeIndex: Buffer;
}

async function get(url: string, auth: boolean): Promise<Buffer> {
  const res = await fetch(url, { headers: auth ? { authorization: adminAuth } : {} });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

async function snapshot(base: string): Promise<Snapshot> {
  return {
    workspaceIndex: await get(`${base}/workspaces/demo/index.yaml`, true),
    storeIndex: await get(`${base}/store/index.yaml`, false),
  };
}

/** Every blob digest in the store that `env` configures, sorted. */
async function blobDigests(env: Record<string, string>): Promise<string[]> {
  const blobs = await openBlobStore(loadConfig(env));
  const out: string[] = [];
  for await (const b of blobs.list()) out.push(b.digest);
  await blobs.close();
  return out.sort();
}

/** Pulls every filled chart with real helm (store ones from the store too); asserts the bytes. */
async function pullAll(t: Test, helm: Helm, base: string, label: string, filled: Filled): Promise<void> {
  const dir = await tempDir(t, `chartroom-pull-${label}-`);
  await helm.run([
    'repo',
    'add',
    `${label}-ws`,
    `${base}/workspaces/demo`,
    '--username',
    'admin',
    '--password',
    ADMIN_PASSWORD,
  ]);
  await helm.run(['repo', 'add', `${label}-store`, `${base}/store`]);
  await helm.run(['repo', 'update']);
  for (const c of filled.charts) {
    for (const repo of c.inStore ? ['ws', 'store'] : ['ws']) {
      const into = path.join(dir, repo);
      await fs.mkdir(into, { recursive: true });
      await helm.run(['pull', `${label}-${repo}/${c.name}`, '--version', c.version, '-d', into]);
      const pulled = await fs.readFile(path.join(into, `${c.name}-${c.version}.tgz`));
      t.ok(pulled.equals(c.bytes), `${label}: helm pull ${repo}/${c.name} ${c.version} gives the uploaded bytes`);
    }
  }
}

async function compareServed(t: Test, base: string, before: Snapshot, filled: Filled): Promise<void> {
  const after = await snapshot(base);
  t.ok(after.workspaceIndex.equals(before.workspaceIndex), 'the workspace index is byte for byte the same');
  t.ok(after.storeIndex.equals(before.storeIndex), 'the store index is byte for byte the same');
  // JSON or YAML, as CHARTROOM_INDEX_FORMAT says; YAML reads both.
  const store = yaml.load(after.storeIndex.toString()) as { entries: Record<string, unknown> };
  t.same(Object.keys(store.entries).sort(), ['pushed', 'web'], 'the store index holds the released charts');
  t.ok(
    (await get(`${base}/api/v1/workspaces/demo/apps/web/icon`, true)).equals(filled.appIcon),
    'the app icon is served',
  );
}

async function checkCopy(t: Test, env: Record<string, string>): Promise<CheckReport> {
  const res = await runCli(['check', '--json'], env);
  t.equal(res.code, 0, `cli.js check on the restored copy: ${res.stderr}`);
  const report = JSON.parse(res.stdout) as CheckReport;
  t.same([report.missing, report.damaged], [[], []], 'nothing missing or damaged');
  return report;
}

t.test('Postgres + S3: pg_dump, blobs exported and imported, pg_restore', async (t) => {
  const helm = await makeHelm(t, 'helm3', need('CHARTROOM_HELM3', 'helm pull from the restored server'));
  const env = await serverEnv(t, 'postgres', 's3');
  const source = await startServer(t, env);
  const filled = await fill(fetchCall(source.url));
  const before = await snapshot(source.url);
  await pullAll(t, helm, source.url, 'source', filled);
  const work = await tempDir(t);

  // 1. The database first, from the running server.
  const dump = path.join(work, 'chartroom.dump');
  await run('pg_dump', ['--format=custom', '--file', dump, '--dbname', env.DATABASE_URL as string]);

  // A chart uploaded after the dump: its blob is in the bucket copy but in no row of the dump.
  const late = makeChart({ name: 'late', version: '9.9.9' });
  const res = await fetch(`${source.url}/api/workspaces/demo/charts`, {
    method: 'POST',
    headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
    body: new Uint8Array(late),
  });
  t.equal(res.status, 201, 'a chart uploaded between the dump and the blob copy');

  // 2. Then the blobs: out of the bucket into a directory, and into a fresh bucket.
  const exported = path.join(work, 'blobs');
  const out = await runCli(['export-blobs', exported], env);
  t.equal(out.code, 0, out.stderr);
  const sourceDigests = await blobDigests(env);
  t.match(out.stdout, new RegExp(`^exported ${sourceDigests.length} blob\\(s\\), 0 already there, 0 failed`));
  t.ok(sourceDigests.includes(sha(late)), "the late chart's blob is in the copy");

  const restoredEnv: Record<string, string> = {
    CHARTROOM_DATA_DIR: await tempDir(t),
    ...s3Env(freshBucket(t)),
    DATABASE_URL: await freshPostgres(t),
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
  const imported = await runCli(['import-blobs', exported], restoredEnv);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, `imported ${sourceDigests.length} blob(s)`);
  const again = await runCli(['import-blobs', exported], restoredEnv);
  t.match(again.stdout, `imported 0 blob(s), ${sourceDigests.length} already there, 0 failed`, 'again: all skipped');
  t.same(await blobDigests(restoredEnv), sourceDigests, 'the fresh bucket holds every blob digest');

  // 3. pg_restore into a fresh, empty database.
  await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', restoredEnv.DATABASE_URL as string, dump]);

  const report = await checkCopy(t, restoredEnv);
  t.same(
    report.unreferenced.map((u) => u.digest),
    [sha(late)],
    'only the blob of the chart uploaded after the dump is unreferenced (the sweeper takes it)',
  );
  t.equal(report.referenced + 1, sourceDigests.length, 'every other blob is referenced');

  const restored = await startServer(t, restoredEnv);
  await compareServed(t, restored.url, before, filled);
  await pullAll(t, helm, restored.url, 'restored', filled);
  const lateThere = await fetch(`${restored.url}/workspaces/demo/charts/late-9.9.9.tgz`, {
    headers: { authorization: adminAuth },
  });
  t.equal(lateThere.status, 404, 'the restored server is the state at the dump');
});

t.test('embedded: the data directory of a stopped server, copied', async (t) => {
  const helm = await makeHelm(t, 'helm3', need('CHARTROOM_HELM3', 'helm pull from the restored server'));
  const env = await serverEnv(t, 'pglite', 'disk');
  const source = await startServer(t, env);
  const filled = await fill(fetchCall(source.url));
  const before = await snapshot(source.url);
  await pullAll(t, helm, source.url, 'source', filled);
  source.proc.kill('SIGTERM');
  t.equal(await source.exited, 0, 'the server stopped cleanly');

  const copy = path.join(await tempDir(t), 'data');
  await fs.cp(env.CHARTROOM_DATA_DIR as string, copy, { recursive: true });
  const restoredEnv = { CHARTROOM_DATA_DIR: copy, CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD };
  t.same(await blobDigests(restoredEnv), await blobDigests(env), 'the copy holds every blob digest');
  const report = await checkCopy(t, restoredEnv);
  t.same(report.unreferenced, [], 'nothing unreferenced');
  t.equal(report.referenced, report.stored);

  const restored = await startServer(t, restoredEnv);
  await compareServed(t, restored.url, before, filled);
  await pullAll(t, helm, restored.url, 'restored', filled);
});
