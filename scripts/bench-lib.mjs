// What the benchmark scripts share: a keep-alive HTTP client, free ports, child processes
// that are stopped (SIGTERM, then SIGKILL after 15 s) and temp directories that are
// removed at cleanup, and a process's memory and CPU time read from /proc.
//
//   const kit = benchKit({ label: 'bench', maxSockets: 16 });
//   const server = kit.startProcess('chartroom', process.execPath, [script], env);
//   await kit.waitReady(server, `${url}/healthz`);
//   ...
//   await kit.cleanup();
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A number with `digits` decimals, or n/a when it is not one. */
export const f = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** Rows of cells as an aligned text table: the first row is the header, the first column left-aligned. */
export function textTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Resident and peak memory of a process, in MiB (NaN once it is gone). */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** User plus system CPU seconds a process has used (NaN once it is gone). */
export function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** A client and a cleanup list for one benchmark run; `label` prefixes its warnings. */
export function benchKit({ label, maxSockets }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const cleanups = [];

  function request(url, { method = 'GET', headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  function startProcess(name, cmd, args, env) {
    let out = '';
    const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000); // ChartMuseum logs every request
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
    const stop = async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) {
        process.stderr.write(`${label}: ${name} did not stop within 15 s of SIGTERM; killing it\n`);
        proc.kill('SIGKILL');
        await exited;
      }
    };
    cleanups.push(stop);
    return { label: name, proc, logs: () => out, stop };
  }

  async function waitReady(p, url) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (p.proc.exitCode !== null) throw new Error(`${p.label} exited with ${p.proc.exitCode}:\n${p.logs()}`);
      try {
        const res = await request(url);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${p.label} did not become ready:\n${p.logs()}`);
      await sleep(100);
    }
  }

  function tempDir(prefix) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function cleanup() {
    // processes first (they were registered after their directories), then directories
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`${label}: cleanup: ${err.message}\n`);
      }
    }
    agent.destroy();
  }

  return { agent, request, startProcess, waitReady, tempDir, cleanup };
}
