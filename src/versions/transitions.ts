// Carrying out a version action: one transaction that locks the version row, checks
// who may act and from which state, moves the state, records the audit event and
// moves the revisions that tell index caches to re-render. Two racing actions on
// one version serialise on the row lock; the second sees the first's state.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../lifecycle/audit.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import {
  requireAllowed,
  TRANSITIONS,
  type Actor,
  type VersionAction,
  type VersionState,
} from '../lifecycle/state-machine.js';
import { touchIndex } from '../index/repo-index.js';
import { claimStoreName } from '../apps/store-names.js';
import { findVersion } from './app-versions.js';
import { fileNameTaken, packageFileTwin } from './versions.js';
import { lockApp, writeAppInfo } from '../apps/apps.js';
import { getCategoryRecord } from '../categories/categories.js';

const UNCATEGORIZED = 'uncategorized';

export type TransitionAction = Exclude<VersionAction, 'replace' | 'delete'>;

export interface Caller {
  username: string;
  actors: ReadonlySet<Actor>;
}

export interface ActionInput {
  workspaceId: number;
  app: string;
  version: string;
  action: TransitionAction;
  message?: string;
  caller: Caller;
}

/** Uploads come from ISVs: a refused replacement lists what such a caller could do instead. */
export const UPLOADER: ReadonlySet<Actor> = new Set<Actor>(['isv']);

const TIMESTAMP: Partial<Record<TransitionAction, string>> = {
  submit: 'submitted_at',
  pass: 'reviewed_at',
  reject: 'reviewed_at',
  release: 'released_at',
};

/**
 * After the store's revision is bumped (which serialises releases): the store cannot take
 * a version whose package file name a released one (active, or suspended and able to
 * come back) of another chart has, see packageFileTwin.
 */
async function refuseStoreFileTwin(q: Queryable, name: string, version: string): Promise<void> {
  const twin = await packageFileTwin(q, "v.state IN ('active', 'suspended')", [], name, version);
  if (twin) throw fileNameTaken('conflict', 'in the store', { name, version }, twin);
}

/** Applies the action; returns the state before and after. */
export async function applyVersionAction(
  db: Database,
  input: ActionInput,
): Promise<{ from: VersionState; to: VersionState }> {
  requireAllowed(input.action, null, input.caller.actors);
  const message = input.message?.trim() ?? '';
  if (input.action === 'reject' && message === '') {
    throw new AppError('validation-failed', 'reject needs a message telling the ISV what to fix');
  }
  return db.tx(async (q) => {
    const v = await findVersion(
      q,
      { workspaceId: input.workspaceId, app: input.app, version: input.version },
      { forUpdate: true },
    );
    if (!v) throw new AppError('not-found', `version ${input.version} of app ${JSON.stringify(input.app)} not found`);
    requireAllowed(input.action, v.state, input.caller.actors, { version: `${v.appName} ${v.version}` });
    if (input.action === 'submit' && v.appCategoryId === null) {
      throw new AppError(
        'category-required',
        `choose a category for ${JSON.stringify(v.appName)} before submitting (PATCH the app with "category")`,
      );
    }
    if (input.action === 'release') await claimStoreName(q, v.appName, input.workspaceId);
    const to = TRANSITIONS[input.action].to as VersionState;
    const stamp = TIMESTAMP[input.action];
    await q.query(
      `UPDATE app_versions SET state = $2, updated_at = now()${stamp ? `, ${stamp} = now()` : ''} WHERE id = $1`,
      [v.id, to],
    );
    // The workspace index lists every version whatever its state, so a transition leaves
    // it as it is; the store index changes when a version enters or leaves `active`.
    if (v.state === 'active' || to === 'active') {
      await touchIndex(q, { store: true }, await bumpStoreRevision(q), [v.appName]);
      if (input.action === 'release') await refuseStoreFileTwin(q, v.appName, v.version);
    }
    await recordEvent(q, {
      appId: v.appId,
      version: input.version,
      actor: input.caller.username,
      action: input.action,
      from: v.state,
      to,
      message,
    });
    return { from: v.state, to };
  });
}

/**
 * A trusted repository's import goes straight to the store: draft to active in one
 * transaction, with the review steps' times set and one audit event naming the source.
 * An app without a category is put in `uncategorized`, where reviewers can re-sort it.
 */
export async function releaseTrusted(
  db: Database,
  input: { workspaceId: number; app: string; version: string; actor: string; message: string },
): Promise<void> {
  await db.tx(async (q) => {
    const v = await findVersion(
      q,
      { workspaceId: input.workspaceId, app: input.app, version: input.version },
      { forUpdate: true },
    );
    if (!v) throw new AppError('not-found', `version ${input.version} of app ${JSON.stringify(input.app)} not found`);
    if (v.state !== 'draft') return; // someone acted on it meanwhile: theirs stands
    await claimStoreName(q, v.appName, input.workspaceId);
    if (v.appCategoryId === null) {
      const app = await lockApp(q, input.workspaceId, v.appName);
      await writeAppInfo(q, app, {}, await getCategoryRecord(q, UNCATEGORIZED), input.actor);
    }
    await q.query(
      `UPDATE app_versions SET state = 'active', updated_at = now(), submitted_at = now(), reviewed_at = now(),
              released_at = now() WHERE id = $1`,
      [v.id],
    );
    await touchIndex(q, { store: true }, await bumpStoreRevision(q), [v.appName]);
    await refuseStoreFileTwin(q, v.appName, v.version);
    await recordEvent(q, {
      appId: v.appId,
      version: input.version,
      actor: input.actor,
      action: 'release',
      from: 'draft',
      to: 'active',
      message: input.message,
    });
  });
}
