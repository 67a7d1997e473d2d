// The actions on one version, exactly as the API allows them to the caller: lifecycle
// buttons, reject with its reason and delete behind a confirmation; used by both version views.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, path, type Version, type VersionActionRequest } from '../api.ts';
import { ErrorMessage, Field, useAction } from '../components.tsx';

type LifecycleAction = VersionActionRequest['action'];

/** The buttons for lifecycle actions, in the order they read best; `replace` has its own form. */
const ACTION_LABELS: [LifecycleAction, string][] = [
  ['submit', 'Submit for Review'],
  ['cancel', 'Cancel Submission'],
  ['pass', 'Pass'],
  ['reject', 'Reject'],
  ['release', 'Release to Store'],
  ['suspend', 'Suspend Version'],
  ['activate', 'Activate Version'],
];

export const versionPath = (ws: string, app: string, version: string): string =>
  path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version}`;

type Mode = 'buttons' | 'reject' | 'delete';

/**
 * Exactly the actions the API lists for the caller on this version: the lifecycle
 * buttons, `reject` with its required reason, and `delete` behind an inline confirmation.
 */
export function VersionActions({
  ws,
  app,
  version,
  onDone,
  onDeleted,
}: {
  ws: string;
  app: string;
  version: Version;
  onDone: () => void;
  onDeleted?: () => void;
}) {
  const action = useAction();
  const [mode, setMode] = useState<Mode>('buttons');
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const group = useRef<HTMLDivElement>(null);
  const reasonInput = useRef<HTMLTextAreaElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  // Keyboard users land where the next step is: the reason, the safe choice, or back on
  // the group once the buttons it holds have changed.
  const lastMode = useRef(mode);
  useLayoutEffect(() => {
    if (mode === 'reject') reasonInput.current?.focus();
    else if (mode === 'delete') keepButton.current?.focus();
    else if (lastMode.current !== 'buttons') group.current?.focus();
    lastMode.current = mode;
  }, [mode]);
  const allowed = version.allowedActions as string[];
  const v = version.version;
  const url = versionPath(ws, app, v);
  const switchTo = (next: Mode): void => {
    action.clear();
    setMode(next);
  };
  /** Runs one request, marking which button it came from. On a refusal the buttons were
   * disabled while busy, so focus fell away: bring it back to the group, where the refusal is. */
  const perform = async (name: string, request: () => Promise<unknown>): Promise<boolean> => {
    setPending(name);
    const ok = await action.run(request);
    setPending(null);
    if (ok) setMode('buttons');
    else group.current?.focus();
    return ok;
  };
  const act = async (name: LifecycleAction, message?: string): Promise<void> => {
    const body: VersionActionRequest = message ? { action: name, message } : { action: name };
    if (await perform(name, () => api<Version>(`${url}/actions`, { method: 'POST', json: body }))) {
      setReason('');
      setDone(`${v}: ${ACTION_LABELS.find(([a]) => a === name)?.[1] ?? name}: done`);
      group.current?.focus();
      onDone();
    }
  };
  const remove = async (): Promise<void> => {
    if (await perform('delete', () => api(url, { method: 'DELETE' }))) {
      if (onDeleted) onDeleted();
      else onDone();
    }
  };
  const buttons = ACTION_LABELS.filter(([name]) => allowed.includes(name));
  const canDelete = allowed.includes('delete');
  const reasonId = `reject-reason-${app}-${v}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const back = (label: string, ref?: typeof keepButton) => (
    <button ref={ref} type="button" class="secondary small" disabled={action.busy} onClick={() => switchTo('buttons')}>
      {label}
    </button>
  );
  return (
    <div class="version-actions" role="group" aria-label={`Actions for ${v}`} ref={group} tabIndex={-1}>
      {mode === 'buttons' && (
        <div class="actions">
          {buttons.map(([name, label]) => (
            <button
              key={name}
              type="button"
              class={name === 'reject' ? 'secondary small' : 'small'}
              disabled={action.busy}
              aria-busy={pending === name ? 'true' : undefined}
              onClick={() => (name === 'reject' ? switchTo('reject') : void act(name))}
            >
              {label}
            </button>
          ))}
          {canDelete && (
            <button type="button" class="secondary small" disabled={action.busy} onClick={() => switchTo('delete')}>
              Delete
            </button>
          )}
          {buttons.length === 0 && !canDelete && <span class="muted">No actions</span>}
          {action.busy && pending && (
            <span class="muted" role="status">
              Working…
            </span>
          )}
        </div>
      )}
      {mode === 'reject' && (
        <form
          class="reject-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) void act('reject', reason.trim());
          }}
        >
          <Field id={reasonId} label="Reason" hint={`Tell the uploader what to fix in ${v}.`}>
            <textarea
              ref={reasonInput}
              id={reasonId}
              required
              maxLength={5000}
              value={reason}
              aria-describedby={`${reasonId}-hint`}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </Field>
          <div class="actions">
            <button type="submit" class="danger small" disabled={action.busy}>
              {action.busy ? 'Rejecting…' : 'Reject'}
            </button>
            {back('Back')}
          </div>
        </form>
      )}
      {mode === 'delete' && (
        <div class="actions confirm">
          <span>Really delete {v}?</span>
          <button type="button" class="danger small" disabled={action.busy} onClick={() => void remove()}>
            {action.busy ? 'Deleting…' : 'Delete'}
          </button>
          {back('Keep', keepButton)}
        </div>
      )}
      <ErrorMessage error={action.error} />
      <span class="visually-hidden" role="status">
        {done}
      </span>
    </div>
  );
}
