// One repository's index held as pages of compressed fragments (pieces.ts), in chart-name
// order. A change to some chart names rebuilds only the pages holding them (a page is
// about PAGE_BYTES of plain text). Plain copies of the pages are kept while the index is
// no larger than its plain limit; above it, an identity answer inflates each page as it is
// written (or reads the page's plain file), and memory holds about a tenth of the index.
//
// Fragments compressed one by one compress worse than the text they make together (about
// 10:1 against 13:1 on Bitnami-shaped charts, and a chart with one version about 2:1), and
// a gzip answer's cost is mostly its bytes. So pages are packed later, off the request
// path: a page is compressed again as one stream on the thread pool and put in place of
// the one it was made from, if that is still held (pack()). A page a write rebuilds is
// fragments joined again until it is packed again.
import { fragmentSeparator, indexFooter, indexHeader, type IndexFormat } from './fragments.js';
import { exact, inflate, join, packBytes, Piece, type Compressed, type Fragment } from './pieces.js';
import type { PlainFiles } from './plain-files.js';

/** A page is split once it grows past twice this, and never built larger than this from scratch. */
export const PAGE_BYTES = 128 * 1024;

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
    const gz = await packBytes(await this.plainBytes());
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
