// A workspace's Imported Repositories tab: each repository with its sync status, "Sync
// now", removal and recent events, and the Add Repository form for admins.
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import {
  api,
  path,
  type ImportEventList,
  type ImportRepo,
  type ImportRepoInput,
  type ImportRepoList,
  type WorkspaceRole,
} from '../api.ts';
import { ErrorMessage, Field, formatTime, ItemsOrNone, Progress, useAction, useAsync } from '../components.tsx';
import { SubmitRow } from '../forms.tsx';

const REPO_STATUS: Record<ImportRepo['status'], string> = {
  pending: 'Pending',
  syncing: 'Syncing',
  successful: 'Successful',
  failed: 'Failed',
};

export function ReposTab({ ws, role }: { ws: string; role: WorkspaceRole | undefined }) {
  const repos = useAsync(() => api<ImportRepoList>(path`/api/v1/workspaces/${ws}/repos`), [ws]);
  // After "Sync now" or adding a repository the sync starts at once, but the list may
  // still say `pending` for a moment: watch for a while even then.
  const [watchUntil, setWatchUntil] = useState(0);
  const syncing = !!repos.data?.items.some((r) => r.status === 'syncing');
  const watching = syncing || watchUntil > Date.now();
  const reload = repos.reload;
  useEffect(() => {
    if (!watching || repos.loading) return;
    const t = setTimeout(() => {
      if (!syncing && watchUntil <= Date.now()) setWatchUntil(0);
      reload();
    }, 2000);
    return () => clearTimeout(t);
  }, [watching, syncing, watchUntil, repos.data, repos.loading, reload]);

  const admin = role === undefined || role === 'workspace-admin';
  const watch = (): void => setWatchUntil(Date.now() + 10000);
  return (
    <>
      <h2>Imported Repositories</h2>
      <p class="muted">
        Third-party Helm repositories (or one OCI chart) whose charts this workspace imports. Imported versions arrive
        as drafts, unless the repository is trusted.
      </p>
      <ItemsOrNone state={repos} none="No imported repositories.">
        {(items) => (
          <ul class="repo-list">
            {items.map((r) => (
              <li key={r.name}>
                <RepoCard ws={ws} repo={r} admin={admin} onChanged={reload} onSyncStarted={watch} />
              </li>
            ))}
          </ul>
        )}
      </ItemsOrNone>
      {admin && (
        <AddRepo
          ws={ws}
          onAdded={() => {
            watch();
            reload();
          }}
        />
      )}
    </>
  );
}

function RepoCard({
  ws,
  repo,
  admin,
  onChanged,
  onSyncStarted,
}: {
  ws: string;
  repo: ImportRepo;
  admin: boolean;
  onChanged: () => void;
  onSyncStarted: () => void;
}) {
  const sync = useAction();
  const remove = useAction();
  const [confirming, setConfirming] = useState(false);
  const headingId = `repo-${repo.name}`;
  return (
    <article class="panel repo" aria-labelledby={headingId}>
      <h3 id={headingId}>{repo.name}</h3>
      <dl class="facts">
        <dt>URL</dt>
        <dd>
          <code>{repo.url}</code>
        </dd>
        <dt>Kind</dt>
        <dd>
          {repo.kind === 'oci' ? 'OCI chart' : 'Helm repository'}
          {repo.plainHttp ? ' (plain HTTP)' : ''}
        </dd>
        <dt>Status</dt>
        <dd>
          <span class={`badge repo-status repo-status-${repo.status}`}>{REPO_STATUS[repo.status] ?? repo.status}</span>
        </dd>
        <dt>Last sync</dt>
        <dd>{formatTime(repo.lastSyncAt)}</dd>
        <dt>Last success</dt>
        <dd>{formatTime(repo.lastSuccessAt)}</dd>
        {repo.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="repo-error">{repo.lastError}</dd>
          </>
        )}
        <dt>Next sync</dt>
        <dd>
          {formatTime(repo.nextSyncAt)} (every {formatInterval(repo.syncInterval)})
        </dd>
        <dt>Versions</dt>
        <dd>
          {repo.counts.imported} imported, {repo.counts.failed} failed, {repo.counts.goneUpstream} gone upstream
        </dd>
        <dt>Trusted</dt>
        <dd>{repo.trusted ? 'Yes: imported versions go straight to the store' : 'No'}</dd>
        <dt>Credentials</dt>
        <dd>{repo.hasCredentials ? 'Stored' : 'None'}</dd>
      </dl>
      {repo.status === 'syncing' && <Progress label="Syncing" value={null} />}
      {admin && (
        <div class="actions" role="group" aria-label={`Actions for ${repo.name}`}>
          <button
            type="button"
            class="secondary small"
            disabled={sync.busy || repo.status === 'syncing'}
            onClick={async () => {
              if (
                await sync.run(() =>
                  api<ImportRepo>(path`/api/v1/workspaces/${ws}/repos/${repo.name}/sync`, { method: 'POST' }),
                )
              ) {
                onSyncStarted();
                onChanged();
              }
            }}
          >
            {sync.busy ? 'Starting sync…' : 'Sync now'}
          </button>
          {!confirming ? (
            <button type="button" class="secondary small" onClick={() => setConfirming(true)}>
              Remove
            </button>
          ) : (
            <>
              <span>Really remove {repo.name}? Imported versions stay.</span>
              <button
                type="button"
                class="danger small"
                disabled={remove.busy}
                onClick={async () => {
                  if (
                    await remove.run(() => api(path`/api/v1/workspaces/${ws}/repos/${repo.name}`, { method: 'DELETE' }))
                  ) {
                    setConfirming(false);
                    onChanged();
                  }
                }}
              >
                {remove.busy ? 'Removing…' : 'Remove'}
              </button>
              <button type="button" class="secondary small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          )}
        </div>
      )}
      <ErrorMessage error={sync.error} />
      <ErrorMessage error={remove.error} />
      <RepoEvents ws={ws} repo={repo.name} stamp={`${repo.status}:${repo.lastSyncAt ?? ''}`} />
    </article>
  );
}

function formatInterval(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? 'day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} s`;
}

/** A repository's sync events, loaded when opened and again after each sync. */
function RepoEvents({ ws, repo, stamp }: { ws: string; repo: string; stamp: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="repo-events" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Recent events</summary>
      {open && <RepoEventList ws={ws} repo={repo} stamp={stamp} />}
    </details>
  );
}

function RepoEventList({ ws, repo, stamp }: { ws: string; repo: string; stamp: string }) {
  const events = useAsync(
    () => api<ImportEventList>(`${path`/api/v1/workspaces/${ws}/repos/${repo}/events`}?limit=50`),
    [ws, repo, stamp],
  );
  return (
    <ItemsOrNone state={events} none="No events yet.">
      {(items) => (
        <ol class="timeline">
          {items.map((ev) => (
            <li key={ev.id}>
              <time dateTime={ev.at}>{formatTime(ev.at)}</time> · <strong>{ev.kind}</strong>
              {ev.chart && (
                <>
                  {' '}
                  · {ev.chart}
                  {ev.version ? ` ${ev.version}` : ''}
                </>
              )}
              {ev.message && <div class="event-message">{ev.message}</div>}
            </li>
          ))}
        </ol>
      )}
    </ItemsOrNone>
  );
}

function AddRepo({ ws, onAdded }: { ws: string; onAdded: () => void }) {
  const empty = { name: '', url: '', username: '', password: '', interval: '3600', trusted: false, plainHttp: false };
  const [f, setF] = useState(empty);
  const action = useAction();
  const set = (k: keyof typeof empty, v: string | boolean): void => setF((old) => ({ ...old, [k]: v }));
  const isOci = f.url.trim().toLowerCase().startsWith('oci://');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const body: Partial<ImportRepoInput> & Pick<ImportRepoInput, 'name' | 'url'> = {
      name: f.name.trim(),
      url: f.url.trim(),
    };
    if (f.username || f.password) {
      body.username = f.username;
      body.password = f.password;
    }
    const interval = Number(f.interval);
    if (f.interval.trim() && Number.isFinite(interval)) body.syncInterval = interval;
    if (f.trusted) body.trusted = true;
    if (f.plainHttp) body.plainHttp = true;
    const ok = await action.run(() =>
      api<ImportRepo>(path`/api/v1/workspaces/${ws}/repos`, { method: 'POST', json: body }),
    );
    if (ok) {
      setF(empty);
      onAdded();
    }
  };
  /** A field of the form, its hint (if any) tied to its input. */
  const textField = (
    k: 'name' | 'url' | 'username' | 'password' | 'interval',
    label: string,
    hint: string | undefined,
    props: JSX.IntrinsicElements['input'],
  ) => (
    <Field id={`repo-${k}`} label={label} hint={hint}>
      <input
        id={`repo-${k}`}
        {...props}
        value={f[k]}
        aria-describedby={hint ? `repo-${k}-hint` : undefined}
        onInput={(e) => set(k, e.currentTarget.value)}
      />
    </Field>
  );
  return (
    <form class="panel add-repo" aria-labelledby="add-repo-heading" onSubmit={submit}>
      <h2 id="add-repo-heading">Add Repository</h2>
      {textField('name', 'Name', 'Lowercase letters, digits and dashes, unique in the workspace.', {
        required: true,
        maxLength: 63,
        autocomplete: 'off',
      })}
      {textField(
        'url',
        'URL',
        'A Helm repository (where its index.yaml is) or one OCI chart (oci://host/path/chart).',
        {
          required: true,
          maxLength: 2048,
          autocomplete: 'off',
          placeholder: 'https://charts.example.com/stable/',
        },
      )}
      {textField('username', 'Username (optional)', undefined, { autocomplete: 'off', maxLength: 256 })}
      {textField(
        'password',
        'Password (optional)',
        "Stored encrypted, sent only to the repository's own address, never shown again.",
        { type: 'password', autocomplete: 'new-password', maxLength: 4096 },
      )}
      {textField('interval', 'Sync interval (seconds)', 'At least 180; 3600 is one hour.', {
        type: 'number',
        min: 180,
        max: 31536000,
        step: 1,
      })}
      <div class="field checkbox">
        <label>
          <input type="checkbox" checked={f.trusted} onChange={(e) => set('trusted', e.currentTarget.checked)} />{' '}
          Trusted: release imported versions straight to the store
        </label>
        <small class="muted">Only users with the app-templates.manage permission may set this.</small>
      </div>
      {isOci && (
        <div class="field checkbox">
          <label>
            <input type="checkbox" checked={f.plainHttp} onChange={(e) => set('plainHttp', e.currentTarget.checked)} />{' '}
            Plain HTTP (for an OCI registry without TLS)
          </label>
        </div>
      )}
      <SubmitRow action={action} label="Add Repository" busyLabel="Adding…" />
    </form>
  );
}
