// requires: postgres, s3
// Outages of the services Chartroom depends on, with Chartroom as a real process: MinIO
// stopped in the middle of traffic, and Postgres stopped and started again. Each test
// starts its own MinIO or Postgres (never the shared ones other suites are using), so
// taking it away disturbs nothing else. Writes answer 503 with Retry-After and leave
// nothing behind, /readyz follows, cached reads go on, and service comes back by itself.
import t from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminAuth, ADMIN_PASSWORD, freshPostgres, tempDir } from '../helpers/app.js';
import { need } from '../helpers/env.js';
import { freePort, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
}

/** A MinIO server of this test's own, over a data directory that survives restarts. */
async function privateMinio(t: Teardown) {
  const bin = need('CHARTROOM_MINIO', 'outage tests start their own MinIO');
  const dir = await tempDir(t, 'chartroom-minio-');
  const port = await freePort();
  const env = {
    ...process.env,
    MINIO_ROOT_USER: 'outage',
    MINIO_ROOT_PASSWORD: 'outage-secret-key',
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
  };
  let proc: ChildProcess | null = null;
  const url = `http://127.0.0.1:${port}`;
  const start = async () => {
    proc = spawn(bin, ['server', '--quiet', '--address', `127.0.0.1:${port}`, dir], { env, stdio: 'ignore' });
    await until('MinIO start', 30_000, async () => ((await fetch(`${url}/minio/health/live`)).ok ? true : undefined));
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  t.teardown(stop);
  await start();
  return {
    env: { S3_ENDPOINT: url, S3_ACCESS_KEY: env.MINIO_ROOT_USER, S3_SECRET_KEY: env.MINIO_ROOT_PASSWORD },
    start,
    stop,
  };
}

/** A Postgres cluster of this test's own (initdb as the postgres user), stoppable at will. */
async function privatePostgres(t: Teardown) {
  const bin = (await fs.readdir('/usr/lib/postgresql')).sort().map((v) => `/usr/lib/postgresql/${v}/bin`)[0];
  if (!bin) throw new Error('no Postgres binaries under /usr/lib/postgresql');
  const dir = await tempDir(t, 'chartroom-pg-');
  await fs.chmod(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', `${bin}/${cmd}`, ...args]);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ctl = (action: string) =>
    asPostgres('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      '-m',
      'fast',
      action,
    ]);
  await ctl('start');
  t.teardown(() => ctl('stop').catch(() => undefined));
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, start: () => ctl('start'), stop: () => ctl('stop') };
}

function client(base: string) {
  return async (method: string, p: string, body?: Buffer | object, type = 'application/octet-stream') => {
    const started = Date.now();
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: adminAuth, 'content-type': Buffer.isBuffer(body) ? type : 'application/json' },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, bytes, text: bytes.toString(), ms: Date.now() - started };
  };
}

t.test('MinIO stopped mid-traffic: 503 with Retry-After, cached reads go on, recovery by itself', async (t) => {
  const minio = await privateMinio(t);
  const dataDir = await tempDir(t);
  const server = await startServer(t, {
    DATABASE_URL: await freshPostgres(t),
    CHARTROOM_DATA_DIR: dataDir,
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...minio.env,
    S3_BUCKET: 'outage',
  });
  const api = client(server.url);
  t.equal((await api('POST', '/api/v1/workspaces', { name: 'demo' })).status, 201);
  const a = makeChart({ name: 'alpha', version: '1.0.0' });
  t.equal((await api('POST', '/api/workspaces/demo/charts', a)).status, 201);
  const first = await api('GET', '/workspaces/demo/charts/alpha-1.0.0.tgz');
  t.ok(first.bytes.equals(a), 'read once while MinIO is up (now cached)');

  await minio.stop();
  const b = makeChart({
    name: 'beta',
    version: '1.0.0',
    extra: [{ path: 'beta/big.txt', body: randomBytes(4096).toString('hex') }],
  });
  const refused = await api('POST', '/api/workspaces/demo/charts', b);
  t.equal(refused.status, 503, refused.text);
  t.equal(refused.headers.get('retry-after'), '5');
  t.match(JSON.parse(refused.text), { error: /blob store \(S3\) is unreachable/ });
  t.ok(refused.ms < 10_000, `refused fast (${refused.ms} ms)`);
  const rest = await api('POST', '/api/v1/workspaces/demo/apps', b);
  t.equal(rest.status, 503);
  t.match(JSON.parse(rest.text), { code: 'unavailable', detail: /blob store/ });
  const ready = await api('GET', '/readyz');
  t.equal(ready.status, 503);
  t.match(JSON.parse(ready.text), { checks: { database: 'ok', blobStore: /unreachable/ } });
  const cached = await api('GET', '/workspaces/demo/charts/alpha-1.0.0.tgz');
  t.equal(cached.status, 200, 'a cached package is still served');
  t.ok(cached.bytes.equals(a));
  const index = await api('GET', '/workspaces/demo/index.yaml');
  t.equal(index.status, 200, 'the index is still served');
  t.notMatch(index.text, /beta/, 'nothing half-written is listed');
  t.equal(server.proc.exitCode, null, 'the process is alive');

  await minio.start();
  await until('ready again', 15_000, async () => ((await api('GET', '/readyz')).status === 200 ? true : undefined));
  t.equal((await api('POST', '/api/workspaces/demo/charts', b)).status, 201, 'writes work again, no restart');
  const after = await api('GET', '/workspaces/demo/index.yaml');
  t.match(after.text, new RegExp(sha(a)), 'the acknowledged write is there');
  t.match(after.text, new RegExp(sha(b)));
  t.notMatch(server.logs(), /"level":(50|60)/, 'no error in the log: outages are answered, not crashed on');
});

t.test('Postgres stopped and started: fail fast with 503, recover within seconds', async (t) => {
  const pgServer = await privatePostgres(t);
  const server = await startServer(t, {
    DATABASE_URL: pgServer.url,
    CHARTROOM_DATA_DIR: await tempDir(t),
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
  const api = client(server.url);
  t.equal((await api('POST', '/api/v1/workspaces', { name: 'demo' })).status, 201);
  const a = makeChart({ name: 'alpha', version: '1.0.0' });
  t.equal((await api('POST', '/api/workspaces/demo/charts', a)).status, 201);

  await pgServer.stop();
  for (const [method, p, body] of [
    ['GET', '/api/v1/workspaces', undefined],
    ['POST', '/api/workspaces/demo/charts', makeChart({ name: 'beta', version: '1.0.0' })],
    ['GET', '/readyz', undefined],
  ] as const) {
    const res = await api(method, p, body);
    t.equal(res.status, 503, `${method} ${p} during the outage: ${res.text}`);
    t.ok(res.ms < 6_000, `answered fast (${res.ms} ms)`);
    if (p !== '/readyz') t.equal(res.headers.get('retry-after'), '5');
  }
  t.equal(server.proc.exitCode, null, 'the process is alive');

  await pgServer.start();
  const back = Date.now();
  await until('ready again', 5_000, async () => ((await api('GET', '/readyz')).status === 200 ? true : undefined));
  t.ok(Date.now() - back <= 5_000, `ready ${Date.now() - back} ms after Postgres is back`);
  t.equal((await api('GET', '/api/v1/workspaces')).status, 200);
  const b = makeChart({ name: 'beta', version: '1.0.0' });
  t.equal((await api('POST', '/api/workspaces/demo/charts', b)).status, 201);
  const index = await api('GET', '/workspaces/demo/index.yaml');
  t.match(index.text, new RegExp(sha(a)), 'the write acknowledged before the outage is there');
  t.notMatch(server.logs(), /"level":60/, 'nothing fatal');
});
