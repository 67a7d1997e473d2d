// Carrying out a version action: one transaction that locks the version row, checks
// who may act and from which state, moves the state, records the audit event and
// moves the revisions that tell index caches to re-render. Two racing actions on
// one version serialise on the row lock; the second sees the first's state.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../lifecycle/audit.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import {
  allowedActions,
  canTransition,
  TRANSITIONS,
  type Actor,
  type VersionAction,
  type VersionState,
} from '../lifecycle/state-machine.js';
import { bumpWorkspaceRevision } from '../workspaces/workspaces.js';
import { findVersion } from './app-versions.js';

export type TransitionAction = Exclude<VersionAction, 'replace' | 'delete'>;
export const TRANSITION_ACTIONS: TransitionAction[] = [
  'submit',
  'cancel',
  'pass',
  'reject',
  'release',
  'suspend',
  'activate',
];

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

/**
 * Throws invalid-transition unless a version in `state` may have its package (or its
 * provenance file, which is part of the package) replaced; `rule` words the refusal
 * around the states that allow it.
 */
export function requireReplaceable(label: string, state: VersionState, rule: (states: string) => string): void {
  if (canTransition('replace', state)) return;
  throw new AppError('invalid-transition', `${label} is ${state}; ${rule(TRANSITIONS.replace.from.join(' or '))}`, {
    state,
    allowedActions: allowedActions(state, UPLOADER),
  });
}

export function invalidTransition(action: string, state: VersionState, actors: ReadonlySet<Actor>): AppError {
  const allowed = allowedActions(state, actors);
  return new AppError(
    'invalid-transition',
    `cannot ${action} a version that is ${state}; allowed now: ${allowed.length ? allowed.join(', ') : 'nothing'}`,
    { state, allowedActions: allowed },
  );
}

export function checkActor(action: VersionAction, caller: Caller): void {
  const t = TRANSITIONS[action];
  if (!t.actors.some((a) => caller.actors.has(a))) {
    const who = t.actors
      .map((a) => (a === 'reviewer' ? 'the app-templates.manage permission' : 'the workspace-regular role or higher'))
      .join(' or ');
    throw new AppError('forbidden', `${action} needs ${who}`);
  }
}

async function claimStoreName(q: Queryable, name: string, workspaceId: number): Promise<void> {
  await q.query('INSERT INTO store_names (name, workspace_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    workspaceId,
  ]);
  const owner = await q.query<{ workspace_id: number; owner: string }>(
    'SELECT s.workspace_id, w.name AS owner FROM store_names s JOIN workspaces w ON w.id = s.workspace_id WHERE s.name = $1',
    [name],
  );
  const row = owner[0];
  if (row && row.workspace_id !== workspaceId) {
    throw new AppError(
      'store-name-taken',
      `the chart name ${JSON.stringify(name)} is already released to the store by workspace ${JSON.stringify(row.owner)}`,
      { owner: row.owner },
    );
  }
}

const TIMESTAMP: Partial<Record<TransitionAction, string>> = {
  submit: 'submitted_at',
  pass: 'reviewed_at',
  reject: 'reviewed_at',
  release: 'released_at',
};

/** Applies the action; returns the state before and after. */
export async function applyVersionAction(
  db: Database,
  input: ActionInput,
): Promise<{ from: VersionState; to: VersionState }> {
  checkActor(input.action, input.caller);
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
    const t = TRANSITIONS[input.action];
    if (!t.from.includes(v.state)) throw invalidTransition(input.action, v.state, input.caller.actors);
    if (input.action === 'submit' && v.appCategoryId === null) {
      throw new AppError(
        'category-required',
        `choose a category for ${JSON.stringify(v.appName)} before submitting (PATCH the app with "category")`,
      );
    }
    if (input.action === 'release') await claimStoreName(q, v.appName, input.workspaceId);
    const to = t.to as VersionState;
    const stamp = TIMESTAMP[input.action];
    await q.query(
      `UPDATE app_versions SET state = $2, updated_at = now()${stamp ? `, ${stamp} = now()` : ''} WHERE id = $1`,
      [v.id, to],
    );
    await bumpWorkspaceRevision(q, input.workspaceId);
    if (v.state === 'active' || to === 'active') await bumpStoreRevision(q);
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
