// Runs the real helm binaries (built by scripts/peers.sh) in an isolated home.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { need } from './env.js';
import { tempDir } from './app.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Helm {
  label: string;
  /** Runs helm; rejects with its output when it fails. */
  run(args: string[]): Promise<string>;
  /** Runs helm and returns the exit code and output either way. */
  attempt(args: string[]): Promise<HelmResult>;
  home: string;
}

export function helmBinaries(): Array<{ label: string; bin: string }> {
  return [
    { label: 'helm3', bin: need('CHARTROOM_HELM3', 'end-to-end tests drive the real helm v3 binary') },
    { label: 'helm4', bin: need('CHARTROOM_HELM4', 'end-to-end tests drive the real helm v4 binary') },
  ];
}

export async function makeHelm(t: Teardown, label: string, bin: string): Promise<Helm> {
  const home = await tempDir(t, `chartroom-${label}-`);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_PLUGINS: need('CHARTROOM_HELM_PLUGINS', 'helm cm-push is set up by scripts/peers.sh'),
    // cm-push and helm must never reach beyond loopback
    NO_PROXY: '*',
  };
  const attempt = (args: string[]) =>
    new Promise<HelmResult>((resolve) => {
      execFile(bin, args, { env, cwd: home, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  return {
    label,
    home,
    attempt,
    run: async (args) => {
      const r = await attempt(args);
      if (r.code !== 0) throw new Error(`${label} ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
  };
}

/** Versions from `helm search repo -l` output, in the order helm printed them. */
export function searchVersions(out: string, chart: string): string[] {
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[0] === chart)
    .map((cols) => cols[1] as string);
}
