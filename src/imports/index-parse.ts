// Reading an upstream's Helm index: up to CHARTROOM_IMPORT_MAX_INDEX_MB of YAML (or JSON),
// parsed on a worker thread with its own heap limit, so a big or hostile index neither
// stalls the event loop that serves every request nor takes the process's memory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import yaml from 'js-yaml';
import { isMapping } from '../charts/safe-yaml.js';
import { UpstreamError } from './fetch.js';

/** Versions an upstream may list: beyond this the index is refused (aliases can make a small YAML list millions). */
export const MAX_UPSTREAM_VERSIONS = 200_000;
/** Heap a parse may use; a 64 MiB index of real entries needs far less than this. */
const WORKER_HEAP_MB = 1024;

/** One version an upstream offers. */
export interface UpstreamVersion {
  chart: string;
  version: string;
  /** sha256 hex from the index, when it has one. */
  digest: string | null;
  /** Where to get it: an absolute URL (classic), or the OCI tag. */
  source: string;
}

/**
 * The versions a Helm index lists: `entries` maps chart names to lists of entries with
 * name, version, urls and (usually) digest. Chart URLs are resolved against the index's
 * own URL, so relative and absolute ones both work.
 */
export function parseIndex(body: Buffer, indexUrl: string): UpstreamVersion[] {
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = /^\s*\{/.test(text) ? JSON.parse(text) : yaml.load(text, { schema: yaml.DEFAULT_SCHEMA });
  } catch (err) {
    throw new UpstreamError(`the index is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isMapping(doc) || !isMapping(doc.entries)) {
    throw new UpstreamError('the index has no "entries" mapping: is this a Helm repository?');
  }
  const out: UpstreamVersion[] = [];
  for (const [chart, list] of Object.entries(doc.entries)) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (out.length >= MAX_UPSTREAM_VERSIONS) {
        throw new UpstreamError(`the index lists more than ${MAX_UPSTREAM_VERSIONS} versions`);
      }
      if (!isMapping(entry)) continue;
      const version = typeof entry.version === 'string' ? entry.version : String(entry.version ?? '');
      const urls = Array.isArray(entry.urls) ? entry.urls.filter((u): u is string => typeof u === 'string') : [];
      const digest = typeof entry.digest === 'string' ? entry.digest.replace(/^sha256:/, '').toLowerCase() : null;
      let source = '';
      try {
        source = urls[0] ? new URL(urls[0], indexUrl).toString() : '';
      } catch {
        source = '';
      }
      out.push({ chart, version, digest: digest && /^[0-9a-f]{64}$/.test(digest) ? digest : null, source });
    }
  }
  return out;
}

const WORKER_URL = new URL(`./index-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export type ParseReply = { ok: true; versions: UpstreamVersion[] } | { ok: false; message: string };

/** parseIndex on a worker thread; the body is moved there, not copied. */
export function parseIndexOffThread(body: Buffer, indexUrl: string, signal?: AbortSignal): Promise<UpstreamVersion[]> {
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: { bytes, indexUrl },
      transferList: [bytes.buffer],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      done(() => reject(signal?.reason instanceof Error ? signal.reason : new UpstreamError('the sync was stopped')));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: ParseReply) =>
      done(() => (reply.ok ? resolve(reply.versions) : reject(new UpstreamError(reply.message)))),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      done(() =>
        reject(
          new UpstreamError(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `the index needs more than ${WORKER_HEAP_MB} MiB to read; it is refused`
              : `the index could not be read: ${err.message}`,
          ),
        ),
      ),
    );
    worker.once('exit', () => done(() => reject(new UpstreamError('the index could not be read'))));
  });
}
