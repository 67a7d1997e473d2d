// The version state machine (spec section 4), as data. Who may act is decided by the
// caller's capabilities, computed elsewhere; this module only knows states and actions.
// requireAllowed is the one state check: every refusal of a version action (and of an
// app's suspension) is worded and built there.
import { AppError } from '../errors.js';

export const VERSION_STATES = ['draft', 'submitted', 'passed', 'rejected', 'active', 'suspended'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export type VersionAction =
  'replace' | 'submit' | 'cancel' | 'pass' | 'reject' | 'release' | 'suspend' | 'activate' | 'delete';

/** Who an action needs: a workspace member of regular rank or more, or a reviewer. */
export type Actor = 'isv' | 'reviewer';

interface Transition {
  from: readonly VersionState[];
  to: VersionState | 'removed';
  actors: readonly Actor[];
}

export const TRANSITIONS: Record<VersionAction, Transition> = {
  replace: { from: ['draft', 'rejected'], to: 'draft', actors: ['isv'] },
  submit: { from: ['draft', 'rejected'], to: 'submitted', actors: ['isv'] },
  cancel: { from: ['submitted', 'passed'], to: 'draft', actors: ['isv'] },
  pass: { from: ['submitted'], to: 'passed', actors: ['reviewer'] },
  reject: { from: ['submitted'], to: 'rejected', actors: ['reviewer'] },
  release: { from: ['passed'], to: 'active', actors: ['isv'] },
  suspend: { from: ['active'], to: 'suspended', actors: ['reviewer'] },
  activate: { from: ['suspended'], to: 'active', actors: ['reviewer'] },
  delete: { from: ['draft', 'rejected', 'passed', 'suspended'], to: 'removed', actors: ['isv', 'reviewer'] },
};

/** The actions possible now from `state` for someone who can act as `actors`. */
export function allowedActions(state: VersionState, actors: ReadonlySet<Actor>): VersionAction[] {
  return (Object.keys(TRANSITIONS) as VersionAction[]).filter((a) => {
    const t = TRANSITIONS[a];
    return t.from.includes(state) && t.actors.some((x) => actors.has(x));
  });
}

export function canTransition(action: VersionAction, state: VersionState): boolean {
  return TRANSITIONS[action].from.includes(state);
}

/** Who the refusal names: a version ("web 1.0.0"), or an app as a whole. */
export type Subject =
  /** `file`: a replacement names the file that changes the package. */
  { version: string; file?: 'package' | 'provenance' } | { app: string };

/** What an app as a whole can do: the store hides a suspended app, whatever its versions' states. */
const APP_ACTIONS: readonly VersionAction[] = ['suspend', 'activate'];

function actorNames(action: VersionAction): string {
  return TRANSITIONS[action].actors
    .map((a) => (a === 'reviewer' ? 'the app-templates.manage permission' : 'the workspace-regular role or higher'))
    .join(' or ');
}

function refusal(action: VersionAction, state: VersionState, subject: Subject, allowed: VersionAction[]): string {
  if ('app' in subject) return `app ${JSON.stringify(subject.app)} is already ${state}`;
  const from = TRANSITIONS[action].from;
  if (action === 'delete') {
    return `${subject.version} is ${state} and cannot be deleted; it can be deleted from state ${from.join(', ')}`;
  }
  if (action === 'replace') {
    const rule =
      subject.file === 'provenance'
        ? `a provenance file changes the package, so it can be added or replaced only while the version is ${from.join(' or ')}`
        : `only a version in state ${from.join(' or ')} can be replaced`;
    return `${subject.version} is ${state}; ${rule}`;
  }
  return `cannot ${action} a version that is ${state}; allowed now: ${allowed.length ? allowed.join(', ') : 'nothing'}`;
}

/**
 * Every state check goes through here: throws `forbidden` unless one of `actors` may
 * take `action`, then (given the `state` read, under its row lock) `invalid-transition`
 * unless the table allows `action` from it. With `state` null only who may act is
 * checked, before anything is read. The refusal lists what `actors` could do instead.
 */
export function requireAllowed(
  action: VersionAction,
  state: VersionState | null,
  actors: ReadonlySet<Actor>,
  subject: Subject = { version: 'the version' },
): void {
  if (!TRANSITIONS[action].actors.some((a) => actors.has(a))) {
    throw new AppError('forbidden', `${action} needs ${actorNames(action)}`);
  }
  if (state === null || canTransition(action, state)) return;
  const all = allowedActions(state, actors);
  const allowed = 'app' in subject ? all.filter((a) => APP_ACTIONS.includes(a)) : all;
  throw new AppError('invalid-transition', refusal(action, state, subject, allowed), {
    state,
    allowedActions: allowed,
  });
}
