// requires: postgres
// The server as a process: configuration errors, migration failures, first admin,
// graceful shutdown with a request in flight.
import t from 'tap';
import http from 'node:http';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { ADMIN_PASSWORD, adminAuth, freshPostgres, tempDir } from '../helpers/app.js';
import { serverScript, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';

function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [serverScript], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', ...env },
    });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

t.test('a bad configuration value stops start-up and names the variable', async (t) => {
  const r = await runToExit({ PORT: 'eighty', CHARTROOM_DATA_DIR: await tempDir(t) });
  t.equal(r.code, 2);
  t.match(r.output, /invalid configuration: PORT must be a whole number/);
  const r2 = await runToExit({ S3_ENDPOINT: 'http://127.0.0.1:1', CHARTROOM_DATA_DIR: await tempDir(t) });
  t.equal(r2.code, 2);
  t.match(r2.output, /S3_ACCESS_KEY is required when S3_ENDPOINT is set/);
});

t.test('a failing migration exits non-zero', async (t) => {
  const url = await freshPostgres(t);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE roles (something_else int)'); // collides with 001_init.sql
  await c.end();
  const r = await runToExit({ DATABASE_URL: url, CHARTROOM_DATA_DIR: await tempDir(t) });
  t.equal(r.code, 1);
  t.match(r.output, /migration 001_init\.sql failed/);
});

t.test('the first start creates admin with a generated password printed once', async (t) => {
  const dataDir = await tempDir(t);
  const server = await startServer(t, { CHARTROOM_DATA_DIR: dataDir });
  const m = /generated password: (\S+?)"/.exec(server.logs());
  t.ok(m, 'the password is in the log');
  const password = m?.[1] ?? '';
  const ok = await fetch(`${server.url}/api/v1/me`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
  });
  t.equal(ok.status, 200);
  t.match(await ok.json(), { username: 'admin', role: 'platform-admin' });
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0);
  const again = await startServer(t, { CHARTROOM_DATA_DIR: dataDir });
  t.notMatch(again.logs(), /generated password/, 'not printed again on the next start (data persisted)');
});

t.test('SIGTERM lets a request in flight finish, then exits 0', async (t) => {
  const server = await startServer(t, {
    CHARTROOM_DATA_DIR: await tempDir(t),
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
  const ws = await fetch(`${server.url}/api/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: adminAuth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'grace' }),
  });
  t.equal(ws.status, 201);
  const chart = makeChart({ name: 'slow', version: '1.0.0' });
  const url = new URL(`${server.url}/api/workspaces/grace/charts`);
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: adminAuth, 'content-type': 'application/gzip', 'content-length': chart.length },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(chart.subarray(0, 100));
    setTimeout(() => {
      server.proc.kill('SIGTERM');
      setTimeout(() => req.end(chart.subarray(100)), 500);
    }, 300);
  });
  const res = await done;
  t.equal(res.status, 201, res.body);
  t.equal(await server.exited, 0, 'clean exit after finishing');
});
