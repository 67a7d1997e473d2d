// Copies blobs from one store to another (`cli.js export-blobs` / `import-blobs`): a
// bucket to a directory for a backup, and back into a fresh bucket for a restore. Blobs
// never change under their digest, so a blob the target has already is skipped, and a
// copy taken after a database dump holds every blob that dump references.
import type { BlobStore } from './blob-store.js';

export interface CopyReport {
  copied: number;
  /** Already in the target. */
  skipped: number;
  /** Blobs that could not be copied: missing by the time they were read, or bytes that
   * no longer match their digest (the target refuses those). */
  failed: Array<{ digest: string; error: string }>;
}

export async function copyBlobs(from: BlobStore, to: BlobStore, concurrency = 4): Promise<CopyReport> {
  const report: CopyReport = { copied: 0, skipped: 0, failed: [] };
  const listing = from.list()[Symbol.asyncIterator]();
  // Workers share one listing, so the digests are never all held at once.
  const worker = async () => {
    for (let next = await listing.next(); !next.done; next = await listing.next()) {
      const { digest } = next.value;
      try {
        if (await to.has(digest)) {
          report.skipped++;
          continue;
        }
        const data = await from.get(digest);
        if (!data) throw new Error('deleted while copying');
        await to.put(digest, data); // checks the bytes against the digest
        report.copied++;
      } catch (err) {
        report.failed.push({ digest, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return report;
}
