// Starts Chartroom as a real process (the built dist/src/server.js) for end-to-end
// tests, on either set-up, and stops it with SIGTERM in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, type Engine, type Store } from './env.js';
import { ADMIN_PASSWORD, freshPostgres, storeEnv } from './app.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RunningServer {
  url: string;
  proc: ChildProcess;
  logs: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
}

export const serverScript = path.join(repoRoot, 'dist/src/server.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function serverEnv(t: Teardown, engine: Engine, store: Store): Promise<Record<string, string>> {
  const env: Record<string, string> = { ...(await storeEnv(t, store)), CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD };
  if (engine === 'postgres') env.DATABASE_URL = await freshPostgres(t);
  return env;
}

export async function startServer(t: Teardown, env: Record<string, string>): Promise<RunningServer> {
  if (!fs.existsSync(serverScript)) throw new Error(`${serverScript} is missing: run "npm run build" first`);
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [serverScript], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, proc, logs: () => out, exited };
}
