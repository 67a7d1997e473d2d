// Plain copies of index pages in files, for indexes held compressed only (larger than
// their plain limit). Helm asks for indexes without gzip, so each of its requests for
// such an index inflated every page on the main thread: at 100,000 versions 107 MB, about
// 125-200 ms of CPU a request on a 2.1 GHz Xeon. The first identity answer that inflates a
// page writes its plain bytes to a file of its own; later answers read the file, which
// the kernel serves from its page cache (a copy, 3-4x cheaper than inflating), and which
// counts neither in the process's resident memory nor against it: the kernel drops
// cached file pages under memory pressure, and a read then comes from the disk.
//
// A file is only a cache: any read that fails (removed, short, any error) falls back to
// inflating the page, which is always held compressed, so a removed directory or a full
// disk costs speed, never a wrong byte. Each file is written once under a name never
// used again in its directory, so a read never sees another page's bytes.
//
// One directory per process (several IndexServices in one process, as in tests, each get
// their own), under <data dir>/index-pages; a directory left by a process that is gone
// (a crash) is removed at the next start.
import fs from 'node:fs';
import path from 'node:path';

/** This process's start, to tell its directories from those of an earlier process with the same pid. */
const STARTED = Math.round(performance.timeOrigin);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a directory under the root was left by a process that is gone. */
function leftBehind(name: string): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(name);
  if (!m) return false; // not ours: left alone
  const pid = Number(m[1]);
  if (pid === process.pid) return Number(m[2]) !== STARTED; // the same pid in an earlier process (a container's pid 1)
  return !processAlive(pid);
}

export class PlainFiles {
  private seq = 0;
  /** Files written and not removed, and their bytes. */
  files = 0;
  bytes = 0;
  /** Set at the first write that fails (e.g. a full disk): nothing more is written. */
  failed: Error | null = null;
  /** Told of that failure (a warning in the log). */
  onFailed: ((err: Error) => void) | null = null;

  private constructor(readonly dir: string) {}

  /**
   * A new directory for this process under `root` (made if missing), after removing the
   * directories of processes that are gone. Throws when the directory cannot be made.
   */
  static open(root: string): PlainFiles {
    fs.mkdirSync(root, { recursive: true });
    for (const name of fs.readdirSync(root)) {
      if (leftBehind(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
    return new PlainFiles(fs.mkdtempSync(path.join(root, `${process.pid}.${STARTED}.`)));
  }

  /** Writes plain bytes to a new file: its path, or null when it could not be written. */
  write(plain: Buffer): string | null {
    if (this.failed) return null;
    const file = path.join(this.dir, String(++this.seq));
    try {
      fs.writeFileSync(file, plain);
    } catch (err) {
      this.failed = err as Error;
      fs.rmSync(file, { force: true });
      this.onFailed?.(this.failed);
      return null;
    }
    this.files++;
    this.bytes += plain.length;
    return file;
  }

  /** Removes a file written by write() (its `size` bytes leave the count); one unlink, at once. */
  remove(file: string, size: number): void {
    this.files--;
    this.bytes -= size;
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // the directory is gone, or not ours to change: nothing is read from it again
    }
  }

  /** Removes the directory and everything in it (when the service closes). */
  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.files = 0;
    this.bytes = 0;
  }
}

/**
 * A file's bytes when it holds exactly `size` of them, else null. Synchronous: a page is
 * about 128 KB from the page cache (tens of microseconds), read as the socket takes the
 * answer, like the inflating it replaces. `into` (at least `size` bytes) is filled
 * instead of a new buffer, and the answer is its first `size` bytes.
 */
export function readPlainFile(file: string, size: number, into?: Buffer): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const out = into ? into.subarray(0, size) : Buffer.allocUnsafeSlow(size);
    const n = fs.readSync(fd, out, 0, size, 0);
    return n === size ? out : null; // shorter: not the file that was written
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
