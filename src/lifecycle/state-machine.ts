// The version state machine (spec section 4), as data. Who may act is decided by the
// caller's capabilities, computed elsewhere; this module only knows states and actions.

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
