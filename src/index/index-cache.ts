// Rendered index files kept in memory, one per repository key (a workspace, the
// store). Each entry remembers the database revision it was rendered from; callers
// read the current revision (one indexed row) and re-render only when it moved, so
// every replica serves a write's effect on the very next request, and a change to
// one workspace never re-renders another's index. The bytes held are bounded: the
// least recently served index goes first, and is simply rendered again when asked for.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';

export interface RenderedIndex {
  revision: string;
  body: Buffer;
  etag: string;
  /** Compressed once, on first demand. */
  gzipped(): Buffer;
}

function makeRendered(revision: string, text: string): RenderedIndex {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  let gz: Buffer | null = null;
  return {
    revision,
    body,
    etag,
    gzipped: () => (gz ??= gzipSync(body)),
  };
}

export class IndexCache {
  private readonly entries: LRUCache<string, RenderedIndex>;
  private readonly inFlight = new Map<string, Promise<RenderedIndex>>();
  /** How many renders ran, per key (observable by tests and metrics). */
  readonly renders = new Map<string, number>();

  /** maxBytes counts each index's body (its gzipped copy is made later, and is smaller). */
  constructor(maxBytes = 128 * 1024 * 1024) {
    this.entries = new LRUCache({ maxSize: maxBytes, sizeCalculation: (index) => Math.max(1, index.body.length) });
  }

  async get(key: string, revision: string, render: () => Promise<string>): Promise<RenderedIndex> {
    const hit = this.entries.get(key);
    if (hit && hit.revision === revision) return hit;
    const flightKey = `${key}\u0000${revision}`;
    const pending = this.inFlight.get(flightKey);
    if (pending) return pending;
    const p = (async () => {
      try {
        const rendered = makeRendered(revision, await render());
        this.renders.set(key, (this.renders.get(key) ?? 0) + 1);
        this.entries.set(key, rendered);
        return rendered;
      } finally {
        this.inFlight.delete(flightKey);
      }
    })();
    this.inFlight.set(flightKey, p);
    return p;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
