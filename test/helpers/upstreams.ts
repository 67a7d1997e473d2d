// Upstream repositories nobody here wrote, started for real by import tests: Python's
// static file server, nginx with Basic auth (htpasswd from apache2-utils), and Debian's
// docker-registry (distribution 2.8.2). Each runs on a free loopback port and is
// stopped in teardown.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './app.js';
import { freePort } from './server-process.js';
import { UpstreamError } from '../../src/imports/fetch.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Upstream {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`${what} exited with ${child.exitCode}: ${log()}`));
        return;
      }
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port}: ${log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** A process serving on `port`, restartable (to take an upstream away and bring it back). */
async function processUpstream(
  t: Teardown,
  what: string,
  port: number,
  url: string,
  launch: () => ChildProcess,
): Promise<Upstream> {
  let child: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    output = '';
    child = launch();
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, child, what, () => output);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  await start();
  return { url, port, start, stop };
}

/** `python3 -m http.server` over `dir`. */
export async function staticServer(t: Teardown, dir: string): Promise<Upstream> {
  const port = await freePort();
  return processUpstream(t, 'python3 http.server', port, `http://127.0.0.1:${port}/`, () =>
    spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(stdout))),
  );

/** nginx serving `dir` under /charts/, behind Basic auth for one user (a bcrypt htpasswd entry). */
export async function nginxWithAuth(
  t: Teardown,
  dir: string,
  user: string,
  password: string,
): Promise<Upstream & { logFile: string }> {
  const port = await freePort();
  const prefix = await tempDir(t, 'chartroom-nginx-');
  const htpasswd = path.join(prefix, 'htpasswd');
  await fs.writeFile(htpasswd, await run('htpasswd', ['-nbB', user, password]));
  const logFile = path.join(prefix, 'access.log');
  const conf = path.join(prefix, 'nginx.conf');
  await fs.writeFile(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  types { application/gzip tgz; application/x-yaml yaml; }
  access_log ${logFile};
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /charts/ {
      alias ${dir.replace(/\/?$/, '/')};
      auth_basic "charts";
      auth_basic_user_file ${htpasswd};
    }
  }
}
`,
  );
  const nginx = (await fs.stat('/usr/sbin/nginx').catch(() => null)) ? '/usr/sbin/nginx' : 'nginx';
  const up = await processUpstream(t, 'nginx', port, `http://127.0.0.1:${port}/charts/`, () =>
    spawn(nginx, ['-c', conf, '-p', prefix, '-e', `${prefix}/error.log`], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  return { ...up, logFile };
}

/** Debian's docker-registry (distribution 2.8.2), plain HTTP, filesystem storage under
 * `root` (a new directory by default), optionally behind htpasswd Basic auth for one user. */
export async function ociRegistry(
  t: Teardown,
  opts: { root?: string; user?: { name: string; password: string } } = {},
): Promise<Upstream & { host: string }> {
  const bin = process.env.CHARTROOM_DOCKER_REGISTRY ?? '/usr/bin/docker-registry';
  await fs.access(bin).catch(() => {
    throw new Error(`${bin} is missing: install Debian's docker-registry (distribution 2.8.2)`);
  });
  const port = await freePort();
  const dir = await tempDir(t, 'chartroom-registry-');
  let auth = '';
  if (opts.user) {
    await fs.writeFile(path.join(dir, 'htpasswd'), await run('htpasswd', ['-nbB', opts.user.name, opts.user.password]));
    auth = `auth:\n  htpasswd:\n    realm: chartroom-test\n    path: ${dir}/htpasswd\n`;
  }
  const conf = path.join(dir, 'config.yml');
  await fs.writeFile(
    conf,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${opts.root ?? `${dir}/data`}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: chartroom-test
${auth}`,
  );
  const host = `127.0.0.1:${port}`;
  const up = await processUpstream(t, 'docker-registry', port, `http://${host}`, () =>
    spawn(bin, ['serve', conf], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  return { ...up, host };
}

/** The rejection of an upstream call, as an UpstreamError (anything else fails the test). */
export async function upstreamFailure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}
