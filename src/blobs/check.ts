// The consistency check (`node dist/src/cli.js check`): every blob a row references is
// read back and hashed, so a missing, truncated or altered blob is found before a client
// downloads it; blobs nothing references are listed too. Nothing is changed.
import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { BlobStore } from './blob-store.js';
import { blobReferenced, listBlobReferences, type BlobReference } from './references.js';

export interface MissingBlob {
  digest: string;
  /** The rows that reference it ("app demo/redis 17.11.6 package"). */
  references: string[];
}

export interface DamagedBlob extends MissingBlob {
  /** What is wrong, one sentence each. */
  problems: string[];
  /** The sha256 of the bytes the store holds under this digest. */
  actualDigest: string;
  actualSize: number;
}

export interface UnreferencedBlob {
  digest: string;
  size: number;
  modifiedAt: string;
}

export interface CheckReport {
  /** False when a referenced blob is missing or damaged; unreferenced blobs alone are no damage. */
  ok: boolean;
  /** Distinct blobs that rows reference. */
  referenced: number;
  /** Blobs the store lists. */
  stored: number;
  /** Bytes read back and hashed. */
  bytesChecked: number;
  missing: MissingBlob[];
  damaged: DamagedBlob[];
  unreferenced: UnreferencedBlob[];
}

export interface CheckOptions {
  /** Blobs read at once. Each read holds one blob in memory. */
  concurrency?: number;
}

/** Runs `work` on every item with at most `concurrency` calls in flight. */
async function eachLimited<T>(items: Iterable<T>, concurrency: number, work: (item: T) => Promise<void>) {
  const queue = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = queue.next(); !next.done; next = queue.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

function groupByDigest(refs: BlobReference[]): Map<string, BlobReference[]> {
  const byDigest = new Map<string, BlobReference[]>();
  for (const r of refs) {
    const list = byDigest.get(r.digest);
    if (list) list.push(r);
    else byDigest.set(r.digest, [r]);
  }
  return byDigest;
}

const describe = (refs: BlobReference[]): string[] => [...new Set(refs.map((r) => r.what))].sort();

/** What is wrong with a blob's bytes against the rows that reference it; empty when nothing is. */
function problemsOf(digest: string, actualDigest: string, actualSize: number, refs: BlobReference[]): string[] {
  const problems: string[] = [];
  if (actualDigest !== digest) problems.push(`its ${actualSize} bytes hash to sha256:${actualDigest}`);
  for (const r of refs) {
    if (r.size !== null && r.size !== actualSize) {
      problems.push(`${r.what} records ${r.size} bytes, the blob has ${actualSize}`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Checks every referenced blob against its digest and recorded sizes, and lists the
 * blobs nothing references. Safe beside a running server on Postgres: findings are
 * confirmed at the end, so a version deleted or a chart uploaded during the check is not
 * reported (the embedded database must not be opened by two processes: stop the server).
 */
export async function checkBlobs(db: Database, blobs: BlobStore, opts: CheckOptions = {}): Promise<CheckReport> {
  // The store first: a blob stored after this listing is not looked at, and one whose row
  // is inserted after the reference listing below is confirmed before being reported.
  const stored = new Map<string, UnreferencedBlob>();
  for await (const b of blobs.list()) {
    stored.set(b.digest, { digest: b.digest, size: b.size, modifiedAt: b.modifiedAt.toISOString() });
  }
  const byDigest = groupByDigest(await listBlobReferences(db));

  let missing: MissingBlob[] = [];
  let damaged: DamagedBlob[] = [];
  let bytesChecked = 0;
  await eachLimited(byDigest, opts.concurrency ?? 4, async ([digest, refs]) => {
    const data = await blobs.get(digest);
    if (!data) {
      missing.push({ digest, references: describe(refs) });
      return;
    }
    bytesChecked += data.length;
    const actualDigest = createHash('sha256').update(data).digest('hex');
    const problems = problemsOf(digest, actualDigest, data.length, refs);
    if (problems.length > 0) {
      damaged.push({ digest, references: describe(refs), problems, actualDigest, actualSize: data.length });
    }
  });

  // Confirm against the rows as they are now: what a concurrent deletion released is not damage.
  const stillReferenced = async (digest: string) => blobReferenced(db, digest);
  missing = await filterAsync(missing, (m) => stillReferenced(m.digest));
  damaged = await filterAsync(damaged, (d) => stillReferenced(d.digest));
  const unreferenced = await filterAsync(
    [...stored.values()].filter((b) => !byDigest.has(b.digest)),
    async (b) => !(await stillReferenced(b.digest)),
  );

  const byName = <T extends { digest: string }>(list: T[]) => list.sort((a, b) => a.digest.localeCompare(b.digest));
  return {
    ok: missing.length === 0 && damaged.length === 0,
    referenced: byDigest.size,
    stored: stored.size,
    bytesChecked,
    missing: byName(missing),
    damaged: byName(damaged),
    unreferenced: byName(unreferenced),
  };
}

async function filterAsync<T>(items: T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) if (await keep(item)) out.push(item);
  return out;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The report for people; `graceSeconds` is the sweeper's grace period, to say when orphans go. */
export function formatCheckReport(r: CheckReport, graceSeconds: number): string {
  const lines = [
    `checked ${r.referenced} referenced blob(s), ${bytes(r.bytesChecked)} read back; the store holds ${r.stored} blob(s)`,
  ];
  if (r.missing.length > 0) {
    lines.push('', `MISSING: ${r.missing.length} referenced blob(s) are not in the store`);
    for (const m of r.missing) lines.push(`  sha256:${m.digest}`, ...m.references.map((w) => `    used by ${w}`));
  }
  if (r.damaged.length > 0) {
    lines.push('', `DAMAGED: ${r.damaged.length} referenced blob(s) do not match their digest or recorded size`);
    for (const d of r.damaged) {
      lines.push(
        `  sha256:${d.digest}`,
        ...d.problems.map((p) => `    ${p}`),
        ...d.references.map((w) => `    used by ${w}`),
      );
    }
  }
  if (r.unreferenced.length > 0) {
    lines.push(
      '',
      `unreferenced: ${r.unreferenced.length} blob(s) no row uses. They are harmless: the sweeper removes each ` +
        `once it is older than ${graceSeconds} s (CHARTROOM_BLOB_GRACE_SECONDS)`,
    );
    for (const u of r.unreferenced) lines.push(`  sha256:${u.digest}  ${bytes(u.size)}  stored ${u.modifiedAt}`);
  }
  if (r.stored === 0 && r.referenced > 0) {
    lines.push('', 'the store is empty: are S3_BUCKET / CHARTROOM_DATA_DIR the ones the server uses?');
  }
  lines.push(
    '',
    r.ok
      ? 'OK: every referenced blob is present and intact'
      : `DAMAGE: ${r.missing.length} missing, ${r.damaged.length} damaged`,
  );
  return `${lines.join('\n')}\n`;
}
