// One repository's index held as pages of compressed fragments, in chart-name order.
// A fragment (one chart name's entries) is compressed once, when it is rendered, as raw
// deflate ending on a byte boundary with a non-final block, and stored so: fragments,
// and pages of them, join into one deflate stream by concatenation, and a gzip answer is
// those bytes between a 10-byte header and a trailer whose CRC comes from the pieces'
// CRCs. So nothing is compressed when a request comes, after a write, or at start.
// A change to some chart names rebuilds only the pages holding them (a page is about
// PAGE_BYTES of plain text). Plain copies of the pages are kept while the index is no
// larger than its plain limit; above it, an identity answer inflates each page as it is
// written, and memory holds about a tenth of the index.
//
// Fragments compressed one by one compress worse than the text they make together (about
// 10:1 against 13:1 on Bitnami-shaped charts, and a chart with one version about 2:1), and
// a gzip answer's cost is mostly its bytes. So pages are packed later, off the request
// path: a page is compressed again as one stream on the thread pool and put in place of
// the one it was made from, if that is still held (pack()). A page a write rebuilds is
// fragments joined again until it is packed again.
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { fragmentSeparator, indexFooter, indexHeader, type IndexFormat } from './fragments.js';
import { crc32Combine } from './crc32-combine.js';
import { readPlainFile, type PlainFiles } from './plain-files.js';

/** A page is split once it grows past twice this, and never built larger than this from scratch. */
export const PAGE_BYTES = 128 * 1024;

const DEFLATE = { level: 6, finishFlush: constants.Z_SYNC_FLUSH } as const;
/** Packing is done once per page, off the request path: the best level (about 5% smaller than 6, 1.35x the time). */
const PACK = { ...DEFLATE, level: 9 } as const;
/**
 * The pieces end without a final block, so inflating one stops at its end without error.
 * The plain size is known, so the output is one buffer a little larger than it: with
 * zlib's default 16 KB output chunks, a 128 KB page came back as eight chunks (eight
 * trips back to JavaScript from the thread pool) joined by a copy.
 */
const inflateOptions = (size: number) => ({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: size + 64 });
/** The 10-byte gzip header: deflate, no name, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final deflate block (fixed Huffman, end of block only). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const inflateRawAsync = promisify(inflateRaw);
const deflateRawAsync = promisify(deflateRaw);

/** Bytes kept compressed for joining: the raw deflate, and the plain bytes' length and CRC-32. */
export interface Compressed {
  readonly gz: Buffer;
  readonly size: number;
  readonly crc: number;
}

/**
 * Bytes that are kept, in memory of their own size. zlib answers with a view of its
 * 16 KB output chunk when the output fits in one, and a kept view keeps the whole chunk:
 * at 100,000 versions the 6,667 fragments a first render made (about 8 MB of deflate)
 * held 16 KB each until the next restart, which reads them back from the database
 * (external memory after a 100k run: 153 MB before copying them out, 89 MB after).
 */
function exact(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** Compresses plain bytes so that the result joins any other Compressed by concatenation. */
export function compress(plain: Buffer): Compressed {
  return { gz: exact(deflateRawSync(plain, DEFLATE)), size: plain.length, crc: crc32(plain) };
}

/** The plain bytes back (synchronously: a fragment or a page, not a whole index). */
export function inflate(c: Compressed): Buffer {
  return c.size === 0 ? Buffer.alloc(0) : inflateRawSync(c.gz, inflateOptions(c.size));
}

/** One chart name's rendered entries, compressed. */
export interface Fragment extends Compressed {
  readonly name: string;
}

/** A piece of an answer: always compressed; its plain bytes too while they are kept. */
export class Piece implements Compressed {
  /** A file holding the plain bytes (plain-files.ts), written by the first identity answer that inflated them. */
  file: string | null = null;
  /** No longer part of its index (replaced or let go): no file is written for it. */
  retired = false;

  constructor(
    readonly gz: Buffer,
    readonly size: number,
    readonly crc: number,
    public plain: Buffer | null,
  ) {}

  static of(plain: Buffer): Piece {
    const c = compress(plain);
    return new Piece(c.gz, c.size, c.crc, plain);
  }

  /**
   * The plain bytes for an identity answer, synchronously: the kept copy, else the file
   * (`files`, read into `into` when given), else inflated now, and then written to a file
   * for the next answer.
   */
  plainNow(files: PlainFiles | null, into?: Buffer): Buffer {
    if (this.plain) return this.plain;
    if (this.file) {
      const read = readPlainFile(this.file, this.size, into);
      if (read) return read;
      if (!this.retired) this.dropFile(files); // gone or damaged: written again below
    }
    const plain = inflate(this);
    if (files && !this.retired && this.size > 0) this.file = files.write(plain);
    return plain;
  }

  /** Whether plainNow() reads a file (no kept copy, a file written). */
  get readsFile(): boolean {
    return this.plain === null && this.file !== null;
  }

  /** Removes the plain file, if any. */
  dropFile(files: PlainFiles | null): void {
    if (this.file) files?.remove(this.file, this.size);
    this.file = null;
  }

  /** The plain bytes: the kept copy, or inflated now on the thread pool. */
  async plainBytes(): Promise<Buffer> {
    if (this.plain) return this.plain;
    if (this.size === 0) return Buffer.alloc(0);
    return inflateRawAsync(this.gz, inflateOptions(this.size));
  }
}

/** Compressed pieces joined in order, with the CRC and length of the whole. */
export function join(items: Compressed[]): Compressed {
  let crc = 0;
  let size = 0;
  for (const c of items) {
    crc = crc32Combine(crc, c.crc, c.size);
    size += c.size;
  }
  return { gz: Buffer.concat(items.map((c) => c.gz)), size, crc };
}

class Page extends Piece {
  /** `packed`: compressed as one stream, not as its fragments joined. */
  constructor(
    readonly fragments: Fragment[],
    joined: Compressed,
    readonly packed = false,
  ) {
    super(joined.gz, joined.size, joined.crc, null);
  }

  /** The same page compressed as one stream (the smaller of that and its fragments joined). */
  async pack(): Promise<Page> {
    const gz = exact(await deflateRawAsync(await this.plainBytes(), PACK));
    return new Page(this.fragments, gz.length < this.gz.length ? { gz, size: this.size, crc: this.crc } : this, true);
  }
}

/** How often pack() looks again while answers are being written, and how long it waits at most. */
const PACK_POLL_MS = 5;
const PACK_MAX_WAIT_MS = 1000;

export interface PackOptions {
  /** Whether answers are being written now (IndexService: answersWriting() > 0). */
  busy?: () => boolean;
  /** The longest a batch waits for `busy` to end. */
  maxWaitMs?: number;
}

async function whileBusy(busy: () => boolean, maxWaitMs: number): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, PACK_POLL_MS));
}

export interface FragmentChange {
  name: string;
  /** The rendered fragment, or null when the name no longer has versions. */
  fragment: Fragment | null;
}

export class PagedIndex {
  private pages: Page[] = [];
  private readonly sep: Piece;
  private readonly header: Piece;
  private readonly emptyHeader: Piece;
  /** Chart names held. */
  size = 0;
  /** Plain bytes of fragments and separators held (the body without header and footer). */
  bytes = 0;
  /** Compressed bytes held. */
  compressedBytes = 0;

  /** Whether dispose() let the pages go (revive() takes them back). */
  private disposed = false;

  /**
   * `plainLimit`: plain copies of the pages are kept while `bytes` is at most this;
   * `files`: where identity answers keep plain copies of pages above it (none: inflated each time).
   */
  constructor(
    readonly format: IndexFormat,
    private readonly plainLimit = Infinity,
    readonly files: PlainFiles | null = null,
  ) {
    this.sep = Piece.of(Buffer.from(fragmentSeparator(format)));
    this.header = Piece.of(Buffer.from(indexHeader(format, false)));
    this.emptyHeader = Piece.of(Buffer.from(indexHeader(format, true)));
  }

  /** Whether plain copies are kept (the index is within its plain limit). */
  get keepsPlain(): boolean {
    return this.bytes <= this.plainLimit;
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
      if (page) this.retire(page);
    }
    this.pages = rebuilt;
    this.size = 0;
    this.bytes = 0;
    this.compressedBytes = 0;
    for (const page of this.pages) {
      this.size += page.fragments.length;
      this.bytes += page.size;
      this.compressedBytes += page.gz.length;
    }
    const between = Math.max(0, this.pages.length - 1);
    this.bytes += between * this.sep.size;
    this.compressedBytes += between * this.sep.gz.length;
  }

  /** Index of the page a name belongs in (0 when there are no pages yet). */
  private pageFor(name: string): number {
    let lo = 0;
    let hi = this.pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pages[mid]!.fragments[0]!.name <= name) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  /** A page with changes merged in: zero pages when it empties, several when it grew too big. */
  private rebuild(page: Page | undefined, changes: FragmentChange[]): Page[] {
    const merged: Fragment[] = [];
    const old = page?.fragments ?? [];
    let i = 0;
    for (const change of changes) {
      while (i < old.length && old[i]!.name < change.name) merged.push(old[i++]!);
      if (i < old.length && old[i]!.name === change.name) i++;
      if (change.fragment && change.fragment.size > 0) merged.push(change.fragment);
    }
    for (; i < old.length; i++) merged.push(old[i]!);

    const total = merged.reduce((n, f) => n + f.size + this.sep.size, 0);
    const limit = total > 2 * PAGE_BYTES ? PAGE_BYTES : Infinity;
    const out: Page[] = [];
    let start = 0;
    while (start < merged.length) {
      let end = start;
      let size = 0;
      while (end < merged.length && (end === start || size + merged[end]!.size <= limit)) {
        size += merged[end]!.size + this.sep.size;
        end++;
      }
      out.push(this.makePage(merged.slice(start, end)));
      start = end;
    }
    return out;
  }

  private makePage(fragments: Fragment[]): Page {
    const items: Compressed[] = [];
    for (const [k, f] of fragments.entries()) {
      if (k > 0 && this.sep.size > 0) items.push(this.sep);
      items.push(f);
    }
    return new Page(fragments, join(items));
  }

  /**
   * Everything written in order: header, pages with separators between them, footer.
   * Plain copies are made or dropped here, once per snapshot, by the plain limit.
   */
  parts(generated: Date): Piece[] {
    const keep = this.keepsPlain;
    for (const page of this.pages) {
      if (!keep) page.plain = null;
      else {
        page.plain ??= exact(inflate(page));
        page.dropFile(this.files);
      }
    }
    const out: Piece[] = [this.size === 0 ? this.emptyHeader : this.header];
    for (const [k, page] of this.pages.entries()) {
      if (k > 0 && this.sep.size > 0) out.push(this.sep);
      out.push(page);
    }
    out.push(Piece.of(Buffer.from(indexFooter(this.format, generated))));
    return out;
  }

  /** Whether some pages are still their fragments joined. */
  get unpacked(): boolean {
    return this.pages.some((p) => !p.packed);
  }

  /**
   * Packs the pages not yet packed, `batch` at a time on the thread pool. Before each
   * batch it waits while `busy()` says answers are being written, up to `maxWaitMs`
   * (so packing gives way to answers, yet always ends). A page that a change rebuilt
   * meanwhile is not replaced (its rebuilt form is packed next time). Returns how many
   * pages were replaced.
   */
  async pack(batch = 2, opts: PackOptions = {}): Promise<number> {
    let replaced = 0;
    const todo = this.pages.filter((p) => !p.packed);
    for (let i = 0; i < todo.length; i += batch) {
      if (opts.busy) await whileBusy(opts.busy, opts.maxWaitMs ?? PACK_MAX_WAIT_MS);
      const slice = todo.slice(i, i + batch);
      const packed = await Promise.all(slice.map((page) => page.pack()));
      for (const [j, page] of packed.entries()) {
        const k = this.pages.indexOf(slice[j]!);
        if (k < 0) continue;
        const old = this.pages[k]!;
        page.plain = old.plain;
        // The same plain bytes: the file goes with them.
        page.file = old.file;
        old.file = null;
        old.retired = true;
        this.pages[k] = page;
        this.compressedBytes += page.gz.length - old.gz.length;
        replaced++;
      }
    }
    return replaced;
  }

  /** A page left out of the index: its file is removed, and answers still sending it write none. */
  private retire(page: Page): void {
    page.retired = true;
    page.dropFile(this.files);
  }

  /** Lets the pages' files go (the index is no longer held); revive() if it is held again. */
  dispose(): void {
    this.disposed = true;
    for (const page of this.pages) this.retire(page);
  }

  /** After dispose(), when the index is held again (a refresh that ran meanwhile). */
  revive(): void {
    if (!this.disposed) return;
    this.disposed = false;
    for (const page of this.pages) page.retired = false;
  }

  /** Every chart name held, in order (for tests and checks). */
  names(): string[] {
    return this.pages.flatMap((p) => p.fragments.map((f) => f.name));
  }

  /** How many pages there are (for tests). */
  pageCount(): number {
    return this.pages.length;
  }
}

/** Pieces as one gzip stream, in pieces: their compressed bytes between a header and a trailer. */
export function gzipOf(parts: Compressed[]): Buffer[] {
  let crc = 0;
  let length = 0;
  const out: Buffer[] = [GZIP_HEADER];
  for (const part of parts) {
    crc = crc32Combine(crc, part.crc, part.size);
    length += part.size;
    out.push(part.gz);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  out.push(FINAL_BLOCK, trailer);
  return out;
}
