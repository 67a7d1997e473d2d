// One repository's index held as pages of rendered fragments, in chart-name order.
// A change to some chart names rebuilds only the pages holding them (a page is about
// PAGE_BYTES), so neither a write nor a replica catching up copies the whole index.
// A response is the header, the pages and the footer, written in order; a gzip response
// is the same pieces, each compressed once and kept until its page changes, stitched
// into one gzip stream (deflate blocks ending on a byte boundary can be concatenated).
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { fragmentSeparator, indexFooter, indexHeader, type IndexFormat } from './fragments.js';
import { crc32Combine } from './crc32-combine.js';

/** A page is split once it grows past twice this, and never built larger than this from scratch. */
export const PAGE_BYTES = 128 * 1024;

const DEFLATE = { level: 6, finishFlush: constants.Z_SYNC_FLUSH } as const;
/** The 10-byte gzip header: deflate, no name, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final deflate block (fixed Huffman, end of block only). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const deflateRawAsync = promisify(deflateRaw);

/**
 * Bytes with their CRC-32 and compressed copy, each computed once. The compressed copy is
 * raw deflate ending on a byte boundary with a non-final block, so more may follow.
 */
export class Piece {
  private gz: Buffer | null = null;
  private pending: Promise<Buffer> | null = null;
  private sum: number | null = null;

  constructor(readonly body: Buffer) {}

  /** The compressed copy, compressed here and now if nobody did yet. */
  deflated(): Buffer {
    return (this.gz ??= deflateRawSync(this.body, DEFLATE));
  }

  get isDeflated(): boolean {
    return this.gz !== null;
  }

  /** Compresses on the thread pool (once, however many ask), keeping the event loop free. */
  deflate(): Promise<Buffer> {
    if (this.gz) return Promise.resolve(this.gz);
    return (this.pending ??= deflateRawAsync(this.body, DEFLATE).then(
      (gz) => (this.gz ??= gz),
      (err: unknown) => {
        this.pending = null;
        throw err;
      },
    ));
  }

  crc(): number {
    return (this.sum ??= crc32(this.body));
  }
}

class Page extends Piece {
  /** names[i]'s fragment is body[starts[i], (starts[i+1] - separator) or end). */
  constructor(
    readonly names: string[],
    readonly starts: number[],
    body: Buffer,
  ) {
    super(body);
  }

  fragment(i: number, sepLength: number): Buffer {
    const end = i + 1 < this.starts.length ? this.starts[i + 1]! - sepLength : this.body.length;
    return this.body.subarray(this.starts[i]!, end);
  }
}

export interface FragmentChange {
  name: string;
  /** The rendered fragment, or null when the name no longer has versions. */
  body: Buffer | null;
}

export class PagedIndex {
  private pages: Page[] = [];
  private readonly sep: Buffer;
  private readonly sepPiece: Piece;
  private readonly header: Piece;
  private readonly emptyHeader: Piece;
  /** Chart names held. */
  size = 0;
  /** Bytes of fragments and separators held (the body without header and footer). */
  bytes = 0;

  constructor(readonly format: IndexFormat) {
    this.sep = Buffer.from(fragmentSeparator(format));
    this.sepPiece = new Piece(this.sep);
    this.header = new Piece(Buffer.from(indexHeader(format, false)));
    this.emptyHeader = new Piece(Buffer.from(indexHeader(format, true)));
  }

  /** Applies changes (any order; a name at most once). Untouched pages are kept as they are. */
  apply(changes: FragmentChange[]): void {
    if (changes.length === 0) return;
    const sorted = [...changes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Which page each change lands in: the last page whose first name is <= the change's.
    const byPage = new Map<number, FragmentChange[]>();
    for (const change of sorted) {
      const p = this.pageFor(change.name);
      const list = byPage.get(p);
      if (list) list.push(change);
      else byPage.set(p, [change]);
    }
    const rebuilt: Page[] = [];
    for (let p = 0; p < Math.max(this.pages.length, 1); p++) {
      const page = this.pages[p];
      const list = byPage.get(p);
      if (!list) {
        if (page) rebuilt.push(page);
        continue;
      }
      rebuilt.push(...this.rebuild(page, list));
    }
    this.pages = rebuilt;
    this.size = 0;
    this.bytes = 0;
    for (const page of this.pages) {
      this.size += page.names.length;
      this.bytes += page.body.length;
    }
    this.bytes += Math.max(0, this.pages.length - 1) * this.sep.length;
  }

  /** Index of the page a name belongs in (0 when there are no pages yet). */
  private pageFor(name: string): number {
    let lo = 0;
    let hi = this.pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pages[mid]!.names[0]! <= name) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  /** A page with changes merged in: zero pages when it empties, several when it grew too big. */
  private rebuild(page: Page | undefined, changes: FragmentChange[]): Page[] {
    const merged: Array<{ name: string; body: Buffer }> = [];
    const old = page?.names ?? [];
    let i = 0;
    for (const change of changes) {
      while (i < old.length && old[i]! < change.name) {
        merged.push({ name: old[i]!, body: page!.fragment(i, this.sep.length) });
        i++;
      }
      if (i < old.length && old[i] === change.name) i++;
      if (change.body && change.body.length > 0) merged.push({ name: change.name, body: change.body });
    }
    for (; i < old.length; i++) merged.push({ name: old[i]!, body: page!.fragment(i, this.sep.length) });

    const total = merged.reduce((n, f) => n + f.body.length + this.sep.length, 0);
    const limit = total > 2 * PAGE_BYTES ? PAGE_BYTES : Infinity;
    const out: Page[] = [];
    let start = 0;
    while (start < merged.length) {
      let end = start;
      let size = 0;
      while (end < merged.length && (end === start || size + merged[end]!.body.length <= limit)) {
        size += merged[end]!.body.length + this.sep.length;
        end++;
      }
      out.push(this.makePage(merged.slice(start, end)));
      start = end;
    }
    return out;
  }

  private makePage(fragments: Array<{ name: string; body: Buffer }>): Page {
    const parts: Buffer[] = [];
    const starts: number[] = [];
    let offset = 0;
    for (const [k, f] of fragments.entries()) {
      if (k > 0) {
        parts.push(this.sep);
        offset += this.sep.length;
      }
      starts.push(offset);
      parts.push(f.body);
      offset += f.body.length;
    }
    return new Page(
      fragments.map((f) => f.name),
      starts,
      Buffer.concat(parts, offset),
    );
  }

  /** Everything written in order: header, pages with separators between them, footer. */
  parts(generated: Date): Piece[] {
    const out: Piece[] = [this.size === 0 ? this.emptyHeader : this.header];
    for (const [k, page] of this.pages.entries()) {
      if (k > 0 && this.sep.length > 0) out.push(this.sepPiece);
      out.push(page);
    }
    out.push(new Piece(Buffer.from(indexFooter(this.format, generated))));
    return out;
  }

  /** The whole index as pieces to write in order. */
  pieces(generated: Date): Buffer[] {
    return this.parts(generated).map((p) => p.body);
  }

  /** The whole index as one gzip stream, in pieces (see gzipOf). */
  gzipPieces(generated: Date): Buffer[] {
    return gzipOf(this.parts(generated));
  }

  /** Every chart name held, in order (for tests and checks). */
  names(): string[] {
    return this.pages.flatMap((p) => p.names);
  }

  /** How many pages there are (for tests). */
  pageCount(): number {
    return this.pages.length;
  }
}

/**
 * Pieces as one gzip stream, in pieces. Each piece is compressed once and kept until its
 * page changes; the CRC of the whole comes from the pieces' CRCs, not from the bytes.
 */
export function gzipOf(parts: Piece[]): Buffer[] {
  let crc = 0;
  let length = 0;
  const out: Buffer[] = [GZIP_HEADER];
  for (const part of parts) {
    crc = crc32Combine(crc, part.crc(), part.body.length);
    length += part.body.length;
    out.push(part.deflated());
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  out.push(FINAL_BLOCK, trailer);
  return out;
}

/** Bytes of the pieces not yet compressed. */
export function undeflatedBytes(parts: Piece[]): number {
  let n = 0;
  for (const part of parts) if (!part.isDeflated) n += part.body.length;
  return n;
}

/** Compresses every piece not yet compressed on the thread pool, a few at a time. */
export async function deflateAll(parts: Piece[], concurrency = 2): Promise<void> {
  const todo = parts.filter((p) => !p.isDeflated);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) await todo[next++]!.deflate();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
}
