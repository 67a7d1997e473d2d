// A workspace: its app templates (with the chart upload), its imported repositories and
// who is in it. The API decides every write; the caller's role only hides forms a viewer
// could never use, and any refusal is shown as the API words it.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  api,
  path,
  upload,
  type App,
  type AppList,
  type ImportEventList,
  type ImportRepo,
  type ImportRepoInput,
  type ImportRepoList,
  type MemberList,
  type UploadResult,
  type WorkspaceDetail,
  type WorkspaceList,
  type WorkspaceRole,
} from '../api.ts';
import {
  ErrorMessage,
  formatTime,
  Icon,
  Loaded,
  PageTitle,
  Progress,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { href, hrefWith, navigate } from '../router.ts';
import { useSession } from '../session.tsx';

/** The caller's role in a workspace: what the API says (a platform permission may grant
 * one without membership), else the membership from /me. */
export function useWorkspaceRole(ws: string): WorkspaceRole | undefined {
  const session = useSession();
  const detail = useAsync(() => api<WorkspaceDetail>(path`/api/v1/workspaces/${ws}`), [ws]);
  return detail.data?.yourRole ?? session.roleIn(ws);
}

export function Workspaces() {
  const list = useAsync(() => api<WorkspaceList>('/api/v1/workspaces'), []);
  const session = useSession();
  return (
    <section>
      <PageTitle title="App Templates">App Templates</PageTitle>
      <p class="muted">The workspaces you can see. Each holds app templates (charts) and their versions.</p>
      <Loaded state={list}>
        {(data) =>
          data.items.length === 0 ? (
            <p>
              You are not a member of any workspace yet.
              {session.can('workspaces.manage') && (
                <>
                  {' '}
                  <a href={href('platform', 'workspaces')}>Create one in Platform</a>.
                </>
              )}
            </p>
          ) : (
            <ul class="grid">
              {data.items.map((w) => {
                const role = session.roleIn(w.name);
                return (
                  <li key={w.name}>
                    <a class="card" href={href('workspaces', w.name)}>
                      <div>
                        <h2>{w.displayName || w.name}</h2>
                        <p>{w.name}</p>
                        {role && <p>{roleLabel(role)}</p>}
                      </div>
                    </a>
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function roleLabel(role: WorkspaceRole): string {
  return { 'workspace-admin': 'Admin', 'workspace-regular': 'Regular', 'workspace-viewer': 'Viewer' }[role] ?? role;
}

const TABS: [string, string][] = [
  ['apps', 'App Templates'],
  ['repos', 'Imported Repositories'],
  ['members', 'Members'],
];

export function WorkspaceHome({ ws, tab }: { ws: string; tab: string }) {
  const detail = useAsync(() => api<WorkspaceDetail>(path`/api/v1/workspaces/${ws}`), [ws]);
  const session = useSession();
  const role = detail.data?.yourRole ?? session.roleIn(ws);
  const current = TABS.some(([t]) => t === tab) ? tab : 'apps';
  const title = detail.data?.displayName || ws;
  return (
    <section>
      <p>
        <a href={href('workspaces')}>← Workspaces</a>
      </p>
      <PageTitle title={title}>{title}</PageTitle>
      {detail.error && <ErrorMessage error={detail.error} />}
      {detail.data && (
        <p class="muted">
          Workspace <code>{ws}</code> · your role: {roleLabel(detail.data.yourRole)}
        </p>
      )}
      <nav aria-label="Workspace">
        <ul class="tabs">
          {TABS.map(([t, label]) => (
            <li key={t}>
              <a href={hrefWith({ tab: t }, 'workspaces', ws)} aria-current={t === current ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {current === 'apps' && <AppsTab ws={ws} role={role} />}
      {current === 'repos' && <ReposTab ws={ws} role={role} />}
      {current === 'members' && <MembersTab ws={ws} role={role} />}
    </section>
  );
}

// ---------------------------------------------------------------------------------------
// App templates

function AppsTab({ ws, role }: { ws: string; role: WorkspaceRole | undefined }) {
  const apps = useAsync(() => api<AppList>(path`/api/v1/workspaces/${ws}/apps`), [ws]);
  return (
    <>
      <h2>App Templates</h2>
      <Loaded state={apps}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">No app templates yet. Upload a chart to make one.</p>
          ) : (
            <div class="table-wrap">
              <table class="apps-table stack-table">
                <thead>
                  <tr>
                    <th scope="col">
                      <span class="visually-hidden">Icon</span>
                    </th>
                    <th scope="col">Name</th>
                    <th scope="col">Latest version</th>
                    <th scope="col">State</th>
                    <th scope="col">Versions</th>
                    <th scope="col">Category</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((a) => (
                    <tr key={a.name}>
                      <td class="icon-cell">
                        <Icon src={a.icon} name={a.name} size={32} />
                      </td>
                      <td data-label="Name">
                        <a href={href('workspaces', ws, 'apps', a.name)}>{a.name}</a>
                        {a.abstraction && <div class="muted small-text">{a.abstraction}</div>}
                      </td>
                      <td data-label="Latest version">{a.latestVersion?.version ?? '—'}</td>
                      <td data-label="State">
                        {a.latestVersion ? (
                          <StateBadge state={a.latestVersion.state} />
                        ) : (
                          <span class="muted">No versions</span>
                        )}
                        {a.suspended && (
                          <>
                            {' '}
                            <span class="badge badge-suspended">App suspended</span>
                          </>
                        )}
                      </td>
                      <td data-label="Versions">{a.versionCount}</td>
                      <td data-label="Category">{a.category?.name ?? <span class="muted">None</span>}</td>
                      <td data-label="Updated">{formatTime(a.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {role !== 'workspace-viewer' && (
        <>
          <h2 id="upload-template">Upload Template</h2>
          <p class="muted">
            A Helm chart package (<code>.tgz</code>). Its name becomes the app&apos;s name; a name the workspace already
            holds adds a version to that app. The version starts as a draft.
          </p>
          <ChartUpload
            idPrefix="upload-template"
            url={path`/api/v1/workspaces/${ws}/apps`}
            submitLabel="Upload"
            withIcon
            onUploaded={async (result, icon, setNote) => {
              if (icon) {
                try {
                  await api<App>(path`/api/v1/workspaces/${ws}/apps/${result.app.name}/icon`, {
                    method: 'PUT',
                    body: icon,
                    headers: { 'content-type': icon.type || 'application/octet-stream' },
                  });
                } catch (err) {
                  // The chart is stored; say so, with the icon's refusal and the way on.
                  setNote(
                    <>
                      <p class="notice">
                        Uploaded {result.app.name} {result.version.version}, but the icon was not accepted.{' '}
                        <a href={href('workspaces', ws, 'apps', result.app.name)}>Open {result.app.name}</a>
                      </p>
                      <ErrorMessage error={err as Error} />
                    </>,
                  );
                  apps.reload();
                  return;
                }
              }
              navigate(href('workspaces', ws, 'apps', result.app.name));
            }}
          />
        </>
      )}
    </>
  );
}

/**
 * A chart upload form: a drop zone around a real file input (so it works by keyboard
 * too), an optional icon, the update log, and progress while the bytes go up.
 */
export function ChartUpload({
  idPrefix,
  url,
  submitLabel,
  withIcon = false,
  method = 'POST',
  onUploaded,
}: {
  idPrefix: string;
  url: string;
  submitLabel: string;
  withIcon?: boolean;
  method?: 'POST' | 'PUT';
  onUploaded: (
    result: UploadResult,
    icon: File | null,
    setNote: (note: ComponentChildren) => void,
  ) => void | Promise<void>;
}) {
  const [chart, setChart] = useState<File | null>(null);
  const [icon, setIcon] = useState<File | null>(null);
  const [updateLog, setUpdateLog] = useState('');
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState(0);
  const [note, setNote] = useState<ComponentChildren>(null);
  const action = useAction();
  const chartInput = useRef<HTMLInputElement>(null);
  const iconInput = useRef<HTMLInputElement>(null);
  const depth = useRef(0);

  const chooseDropped = (files: FileList | null | undefined): void => {
    const file = files?.[0];
    if (!file) return;
    setChart(file);
    action.clear();
    // Keep the real input in step, so what it shows is what will be sent.
    try {
      if (chartInput.current && files) chartInput.current.files = files;
    } catch {
      // some browsers refuse; the state above is what is sent
    }
  };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setNote(null);
    setProgress(0);
    let result: UploadResult | undefined;
    const ok = await action.run(async () => {
      if (!chart) throw new Error('Choose a chart package (.tgz) first.');
      const form = new FormData();
      form.append('chart', chart, chart.name);
      if (updateLog.trim()) form.append('updateLog', updateLog);
      result = await upload<UploadResult>(url, method, form, setProgress);
    });
    if (!ok || !result) return;
    await onUploaded(result, icon, setNote);
    setChart(null);
    setIcon(null);
    setUpdateLog('');
    if (chartInput.current) chartInput.current.value = '';
    if (iconInput.current) iconInput.current.value = '';
  };

  return (
    <form class="upload-form" onSubmit={submit}>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          depth.current++;
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => {
          depth.current = Math.max(0, depth.current - 1);
          if (depth.current === 0) setOver(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          depth.current = 0;
          setOver(false);
          chooseDropped(e.dataTransfer?.files);
        }}
      >
        <p class="dropzone-hint" aria-hidden="true">
          Drop a chart package here, or choose one:
        </p>
        <label for={`${idPrefix}-chart`}>Chart package (.tgz)</label>
        <input
          id={`${idPrefix}-chart`}
          ref={chartInput}
          type="file"
          name="chart"
          accept=".tgz,.tar.gz,application/gzip,application/x-gzip,application/x-compressed-tar"
          onChange={(e) => {
            setChart(e.currentTarget.files?.[0] ?? null);
            action.clear();
          }}
        />
        {chart && (
          <p class="muted" aria-live="polite">
            Selected: {chart.name} ({formatSize(chart.size)})
          </p>
        )}
      </div>
      {withIcon && (
        <div class="field">
          <label for={`${idPrefix}-icon`}>Icon (optional)</label>
          <input
            id={`${idPrefix}-icon`}
            ref={iconInput}
            type="file"
            name="icon"
            accept="image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg"
            aria-describedby={`${idPrefix}-icon-hint`}
            onChange={(e) => setIcon(e.currentTarget.files?.[0] ?? null)}
          />
          <small id={`${idPrefix}-icon-hint`} class="muted">
            PNG, JPEG or SVG, at most 96×96 pixels and 64 KiB.
          </small>
        </div>
      )}
      <div class="field">
        <label for={`${idPrefix}-log`}>Update log</label>
        <textarea
          id={`${idPrefix}-log`}
          name="updateLog"
          maxLength={65536}
          value={updateLog}
          aria-describedby={`${idPrefix}-log-hint`}
          onInput={(e) => setUpdateLog(e.currentTarget.value)}
        />
        <small id={`${idPrefix}-log-hint`} class="muted">
          Release notes for this version (optional).
        </small>
      </div>
      {action.busy && <Progress label="Uploading chart" value={progress} />}
      <ErrorMessage error={action.error} />
      {note}
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {submitLabel}
        </button>
        {action.busy && (
          <span class="muted" role="status">
            Uploading…
          </span>
        )}
      </div>
    </form>
  );
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

// ---------------------------------------------------------------------------------------
// Imported repositories

const REPO_STATUS: Record<ImportRepo['status'], string> = {
  pending: 'Pending',
  syncing: 'Syncing',
  successful: 'Successful',
  failed: 'Failed',
};

function ReposTab({ ws, role }: { ws: string; role: WorkspaceRole | undefined }) {
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
      <Loaded state={repos}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">No imported repositories.</p>
          ) : (
            <ul class="repo-list">
              {data.items.map((r) => (
                <li key={r.name}>
                  <RepoCard ws={ws} repo={r} admin={admin} onChanged={reload} onSyncStarted={watch} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
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
    <Loaded state={events}>
      {(data) =>
        data.items.length === 0 ? (
          <p class="muted">No events yet.</p>
        ) : (
          <ol class="timeline">
            {data.items.map((ev) => (
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
        )
      }
    </Loaded>
  );
}

function AddRepo({ ws, onAdded }: { ws: string; onAdded: () => void }) {
  const empty = { name: '', url: '', username: '', password: '', interval: '3600', trusted: false, plainHttp: false };
  const [f, setF] = useState(empty);
  const action = useAction();
  const set = (k: keyof typeof empty, v: string | boolean): void => setF((old) => ({ ...old, [k]: v }));
  const isOci = f.url.trim().toLowerCase().startsWith('oci://');
  return (
    <form
      class="panel add-repo"
      aria-labelledby="add-repo-heading"
      onSubmit={async (e) => {
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
      }}
    >
      <h2 id="add-repo-heading">Add Repository</h2>
      <div class="field">
        <label for="repo-name">Name</label>
        <input
          id="repo-name"
          required
          maxLength={63}
          autocomplete="off"
          value={f.name}
          aria-describedby="repo-name-hint"
          onInput={(e) => set('name', e.currentTarget.value)}
        />
        <small id="repo-name-hint" class="muted">
          Lowercase letters, digits and dashes, unique in the workspace.
        </small>
      </div>
      <div class="field">
        <label for="repo-url">URL</label>
        <input
          id="repo-url"
          required
          maxLength={2048}
          autocomplete="off"
          placeholder="https://charts.example.com/stable/"
          value={f.url}
          aria-describedby="repo-url-hint"
          onInput={(e) => set('url', e.currentTarget.value)}
        />
        <small id="repo-url-hint" class="muted">
          A Helm repository (where its index.yaml is) or one OCI chart (oci://host/path/chart).
        </small>
      </div>
      <div class="field">
        <label for="repo-username">Username (optional)</label>
        <input
          id="repo-username"
          autocomplete="off"
          maxLength={256}
          value={f.username}
          onInput={(e) => set('username', e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="repo-password">Password (optional)</label>
        <input
          id="repo-password"
          type="password"
          autocomplete="new-password"
          maxLength={4096}
          value={f.password}
          aria-describedby="repo-password-hint"
          onInput={(e) => set('password', e.currentTarget.value)}
        />
        <small id="repo-password-hint" class="muted">
          Stored encrypted, sent only to the repository&apos;s own address, never shown again.
        </small>
      </div>
      <div class="field">
        <label for="repo-interval">Sync interval (seconds)</label>
        <input
          id="repo-interval"
          type="number"
          min={180}
          max={31536000}
          step={1}
          value={f.interval}
          aria-describedby="repo-interval-hint"
          onInput={(e) => set('interval', e.currentTarget.value)}
        />
        <small id="repo-interval-hint" class="muted">
          At least 180; 3600 is one hour.
        </small>
      </div>
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
      <ErrorMessage error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Adding…' : 'Add Repository'}
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------
// Members

function MembersTab({ ws, role }: { ws: string; role: WorkspaceRole | undefined }) {
  const session = useSession();
  const members = useAsync(() => api<MemberList>(path`/api/v1/workspaces/${ws}/members`), [ws]);
  const manage = role === 'workspace-admin' || session.can('workspaces.manage');
  return (
    <>
      <h2>Members</h2>
      {manage && (
        <p>
          <a class="button secondary" href={href('platform', 'workspaces', ws)}>
            Manage members
          </a>
        </p>
      )}
      <Loaded state={members}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">This workspace has no members.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Member since</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <tr key={m.username}>
                      <td>{m.displayName ? `${m.displayName} (${m.username})` : m.username}</td>
                      <td>{roleLabel(m.role)}</td>
                      <td>{formatTime(m.joinedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </>
  );
}
