// A provenance file sent on its own (POST /api/workspaces/<ws>/prov), attached to the
// version whose package it vouches for. A .prov is part of what clients download and
// verify, so adding or replacing one changes the package: like replacing the package
// itself it is allowed only while the version is draft or rejected (never once it has
// been submitted, passed or released), it sends the version back to draft, and it is
// recorded in the audit trail.
import type { Database } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { sha256Hex } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { readProvenance } from '../charts/provenance.js';
import { recordEvent } from '../lifecycle/audit.js';
import { bumpWorkspaceRevision } from '../workspaces/workspaces.js';
import { touchIndex } from '../index/repo-index.js';
import { ensureBlob, releaseBlobs, txReleasing } from '../blobs/references.js';
import { findPackagesByFiles } from './versions.js';
import { UPLOADER } from './transitions.js';
import { requireAllowed } from '../lifecycle/state-machine.js';
import { findVersion, type PackageRef, type VersionInApp } from './app-versions.js';

/** Throws unless this provenance file may be attached to the version now. */
function checkAttachable(
  row: VersionInApp | null,
  packageDigest: string,
  provDigest: string,
): asserts row is VersionInApp {
  // The version went away, or its package was replaced, since it was looked up.
  if (!row || row.digest !== packageDigest) {
    throw new AppError('not-found', 'no chart in this workspace matches the files the provenance file lists');
  }
  requireAllowed('replace', row.state, UPLOADER, { version: `${row.appName} ${row.version}`, file: 'provenance' });
  if (row.provDigest === provDigest) {
    throw new AppError('prov-exists', `${row.appName} ${row.version} already has this provenance file`);
  }
}

/** Attaches `prov` to the version of the workspace whose package digest it lists. */
export async function attachProvenance(
  db: Database,
  blobs: BlobStore,
  workspaceId: number,
  prov: Buffer,
  actor: string,
): Promise<PackageRef> {
  const files = readProvenance(prov);
  let target: PackageRef | null = null;
  const hits = await findPackagesByFiles(db, workspaceId, files.keys()); // one lookup for every listed file
  for (const [file, digest] of files) {
    const hit = hits.get(file);
    if (hit && !hit.prov && hit.version.digest === digest) {
      target = hit.version;
      break;
    }
  }
  if (!target) {
    throw new AppError('not-found', 'no chart in this workspace matches the files the provenance file lists');
  }
  const chosen = target;
  const provDigest = sha256Hex(prov);
  // The cheap answer before any blob is written; checked again under the row lock.
  checkAttachable(await findVersion(db, { id: chosen.id }), chosen.digest, provDigest);

  await blobs.put(provDigest, prov);
  try {
    await txReleasing(db, blobs, async (q, release) => {
      const revision = await bumpWorkspaceRevision(q, workspaceId); // also serialises writers of this workspace
      const row = await findVersion(q, { id: chosen.id }, { forUpdate: true });
      checkAttachable(row, chosen.digest, provDigest);
      await touchIndex(q, { workspaceId }, revision, [row.appName]);
      await ensureBlob(q, blobs, provDigest, prov);
      await q.query(
        "UPDATE app_versions SET prov_digest = $1, prov_size = $2, state = 'draft', updated_at = now() WHERE id = $3",
        [provDigest, prov.length, row.id],
      );
      await recordEvent(q, {
        appId: row.appId,
        version: row.version,
        actor,
        action: 'provenance',
        from: row.state,
        to: 'draft',
        message: `${row.provDigest ? 'replaced' : 'added'} provenance file ${provDigest}`,
      });
      release(row.provDigest);
    });
  } catch (err) {
    await releaseBlobs(db, blobs, [provDigest]);
    throw err;
  }
  return { ...chosen, provDigest };
}
