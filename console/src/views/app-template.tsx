// An app template in its workspace: info and icon, its versions with exactly the actions
// the API allows on each, new versions, the audit timeline and how to test-install it;
// and one version with its chart files. The API decides; refusals show as it words them.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import {
  api,
  ApiError,
  path,
  text,
  type App,
  type AppDetail,
  type AppPatch,
  type AuditEvent,
  type CategoryList,
  type EventList,
  type Version,
  type VersionActionRequest,
  type VersionList,
} from '../api.ts';
import {
  CopyCommand,
  ErrorMessage,
  formatTime,
  Icon,
  Loaded,
  PageTitle,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { Markdown } from '../markdown.tsx';
import { href, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { ChartUpload, formatSize, useWorkspaceRole } from './workspace.tsx';

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

const versionPath = (ws: string, app: string, version: string): string =>
  path`/api/v1/workspaces/${ws}/apps/${app}/versions/${version}`;

export function AppTemplate({ ws, app }: { ws: string; app: string }) {
  const detail = useAsync(() => api<AppDetail>(path`/api/v1/workspaces/${ws}/apps/${app}`), [ws, app]);
  const versions = useAsync(() => api<VersionList>(path`/api/v1/workspaces/${ws}/apps/${app}/versions`), [ws, app]);
  const [eventsKey, setEventsKey] = useState(0);
  const role = useWorkspaceRole(ws);
  const session = useSession();
  const canWrite = role !== 'workspace-viewer';
  const afterChange = (): void => {
    versions.reload();
    detail.reload();
    setEventsKey((k) => k + 1);
  };
  return (
    <article>
      <p>
        <a href={href('workspaces', ws)}>← {ws}</a>
      </p>
      <Loaded state={detail}>
        {(data) => (
          <AppInfo
            ws={ws}
            app={data}
            canEdit={canWrite || session.can('app-templates.manage')}
            canWrite={canWrite}
            onChanged={afterChange}
          />
        )}
      </Loaded>

      <h2>Versions</h2>
      <Loaded state={versions}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="muted">This app has no versions.</p>
          ) : (
            <div class="table-wrap">
              <table class="versions-table stack-table">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">App version</th>
                    <th scope="col">State</th>
                    <th scope="col">Created</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((v) => (
                    <tr key={v.version}>
                      <td data-label="Version">
                        <a href={href('workspaces', ws, 'apps', app, 'versions', v.version)}>{v.version}</a>
                      </td>
                      <td data-label="App version">{v.appVersion || '—'}</td>
                      <td data-label="State">
                        <StateBadge state={v.state} />
                      </td>
                      <td data-label="Created">{formatTime(v.createdAt)}</td>
                      <td data-label="Updated">{formatTime(v.updatedAt)}</td>
                      <td data-label="Actions">
                        <VersionActions ws={ws} app={app} version={v} onDone={afterChange} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>

      {canWrite && (
        <>
          <h2>New Version</h2>
          <NewVersion ws={ws} app={app} onUploaded={afterChange} />
        </>
      )}

      <h2>Test-install</h2>
      <p class="muted">
        Every version of the workspace, in any state, is in its own Helm repository. Use your username and a token from
        your account page.
      </p>
      <TestInstall ws={ws} app={app} version={versions.data?.items[0]?.version} />

      <h2>Audit Timeline</h2>
      <Timeline key={eventsKey} url={path`/api/v1/workspaces/${ws}/apps/${app}/events`} />
    </article>
  );
}

function TestInstall({ ws, app, version }: { ws: string; app: string; version: string | undefined }) {
  const creds = '--username <your-username> --password <your-token>';
  return (
    <div class="panel">
      <CopyCommand
        label="Add the workspace repository"
        command={`helm repo add ${ws} ${location.origin}/workspaces/${ws} ${creds}`}
      />
      <CopyCommand label="Update" command={`helm repo update ${ws}`} />
      <CopyCommand
        label="Test-install"
        command={`helm install my-${app} ${ws}/${app}${version ? ` --version ${version}` : ''} --devel ${creds}`}
      />
    </div>
  );
}

function AppInfo({
  ws,
  app,
  canEdit,
  canWrite,
  onChanged,
}: {
  ws: string;
  app: AppDetail;
  canEdit: boolean;
  canWrite: boolean;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [iconBump, setIconBump] = useState(0);
  const iconAction = useAction();
  // After a new icon, ask for it again rather than show the one the browser holds.
  const iconSrc = app.icon && iconBump ? `${app.icon}${app.icon.includes('?') ? '&' : '?'}v=${iconBump}` : app.icon;
  return (
    <>
      <div class="app-head">
        <Icon src={iconSrc} name={app.name} size={72} />
        <div>
          <PageTitle title={app.name}>{app.name}</PageTitle>
          {app.abstraction && <p class="muted">{app.abstraction}</p>}
        </div>
      </div>
      <dl class="facts">
        <dt>Workspace</dt>
        <dd>{app.workspace}</dd>
        <dt>Description</dt>
        <dd class="pre-line">{app.description || <span class="muted">None</span>}</dd>
        <dt>Abstraction</dt>
        <dd>{app.abstraction || <span class="muted">None</span>}</dd>
        <dt>Home</dt>
        <dd>
          {app.home ? (
            /^https?:\/\//i.test(app.home) ? (
              <a href={app.home} rel="noopener noreferrer nofollow" target="_blank">
                {app.home}
              </a>
            ) : (
              app.home
            )
          ) : (
            <span class="muted">None</span>
          )}
        </dd>
        <dt>Category</dt>
        <dd>{app.category?.name ?? <span class="muted">None yet (needed before submitting)</span>}</dd>
        <dt>Suspended</dt>
        <dd>{app.suspended ? <span class="badge badge-suspended">Suspended: hidden from the store</span> : 'No'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(app.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(app.updatedAt)}</dd>
      </dl>
      {canEdit && !editing && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setEditing(true)}>
            Edit Information
          </button>
        </div>
      )}
      {editing && (
        <EditInfo
          ws={ws}
          app={app}
          onDone={(changed) => {
            setEditing(false);
            if (changed) onChanged();
          }}
        />
      )}
      {canWrite && (
        <div class="field icon-changer">
          <label for="app-icon">Change icon</label>
          <input
            id="app-icon"
            type="file"
            accept="image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg"
            aria-describedby="app-icon-hint"
            disabled={iconAction.busy}
            onChange={async (e) => {
              const input = e.currentTarget;
              const file = input.files?.[0];
              if (!file) return;
              const ok = await iconAction.run(() =>
                api<App>(path`/api/v1/workspaces/${ws}/apps/${app.name}/icon`, {
                  method: 'PUT',
                  body: file,
                  headers: { 'content-type': file.type || 'application/octet-stream' },
                }),
              );
              input.value = '';
              if (ok) {
                setIconBump((n) => n + 1);
                onChanged();
              }
            }}
          />
          <small id="app-icon-hint" class="muted">
            PNG, JPEG or SVG, at most 96×96 pixels and 64 KiB. It is uploaded as soon as you choose it.
          </small>
          {iconAction.busy && (
            <span class="muted" role="status">
              Uploading icon…
            </span>
          )}
          <ErrorMessage error={iconAction.error} />
        </div>
      )}
    </>
  );
}

function EditInfo({ ws, app, onDone }: { ws: string; app: AppDetail; onDone: (changed: boolean) => void }) {
  const categories = useAsync(() => api<CategoryList>('/api/v1/categories'), []);
  const [description, setDescription] = useState(app.description);
  const [abstraction, setAbstraction] = useState(app.abstraction);
  const [home, setHome] = useState(app.home);
  const [category, setCategory] = useState(app.category ? String(app.category.id) : '');
  const action = useAction();
  return (
    <form
      class="panel edit-info"
      aria-labelledby="edit-info-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        // Only what changed: a reviewer may change the category alone.
        const patch: AppPatch = {};
        if (description !== app.description) patch.description = description;
        if (abstraction !== app.abstraction) patch.abstraction = abstraction;
        if (home.trim() !== app.home) patch.home = home.trim();
        if (category && category !== String(app.category?.id ?? '')) patch.category = Number(category);
        if (Object.keys(patch).length === 0) {
          onDone(false);
          return;
        }
        if (
          await action.run(() =>
            api<App>(path`/api/v1/workspaces/${ws}/apps/${app.name}`, { method: 'PATCH', json: patch }),
          )
        ) {
          onDone(true);
        }
      }}
    >
      <h2 id="edit-info-heading">Edit Information</h2>
      <div class="field">
        <label for="edit-description">Description</label>
        <textarea
          id="edit-description"
          maxLength={10000}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="edit-abstraction">Abstraction</label>
        <input
          id="edit-abstraction"
          maxLength={200}
          value={abstraction}
          aria-describedby="edit-abstraction-hint"
          onInput={(e) => setAbstraction(e.currentTarget.value)}
        />
        <small id="edit-abstraction-hint" class="muted">
          A one-line summary for the store.
        </small>
      </div>
      <div class="field">
        <label for="edit-home">Home</label>
        <input
          id="edit-home"
          type="url"
          maxLength={2000}
          value={home}
          placeholder="https://"
          aria-describedby="edit-home-hint"
          onInput={(e) => setHome(e.currentTarget.value)}
        />
        <small id="edit-home-hint" class="muted">
          An http(s) address, or empty.
        </small>
      </div>
      <div class="field">
        <label for="edit-category">Category</label>
        <select id="edit-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
          {!app.category && <option value="">Choose a category</option>}
          {app.category && !categories.data && <option value={String(app.category.id)}>{app.category.name}</option>}
          {categories.data?.items.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
        {categories.loading && !categories.data && (
          <small class="muted" role="status">
            Loading categories…
          </small>
        )}
        <ErrorMessage error={categories.error} />
      </div>
      <ErrorMessage error={action.error} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" class="secondary" disabled={action.busy} onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function NewVersion({ ws, app, onUploaded }: { ws: string; app: string; onUploaded: () => void }) {
  return (
    <ChartUpload
      idPrefix="new-version"
      url={path`/api/v1/workspaces/${ws}/apps/${app}/versions`}
      submitLabel="Upload Version"
      onUploaded={(result, _icon, setNote) => {
        setNote(
          <p class="notice" role="status">
            Uploaded{' '}
            <a href={href('workspaces', ws, 'apps', app, 'versions', result.version.version)}>
              {result.version.version}
            </a>{' '}
            as a draft.
          </p>,
        );
        onUploaded();
      }}
    />
  );
}

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
  const [mode, setMode] = useState<'buttons' | 'reject' | 'delete'>('buttons');
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
  const finished = (what: string): void => {
    setDone(`${v}: ${what}`);
    group.current?.focus();
  };
  const allowed = version.allowedActions as string[];
  const v = version.version;
  const url = versionPath(ws, app, v);
  const act = async (name: LifecycleAction, message?: string): Promise<void> => {
    setPending(name);
    const body: VersionActionRequest = message ? { action: name, message } : { action: name };
    const ok = await action.run(() => api<Version>(`${url}/actions`, { method: 'POST', json: body }));
    setPending(null);
    if (ok) {
      setMode('buttons');
      setReason('');
      finished(`${ACTION_LABELS.find(([a]) => a === name)?.[1] ?? name}: done`);
      onDone();
    } else {
      // The buttons were disabled while busy, so focus fell away: bring it back to the
      // group, where the refusal is.
      group.current?.focus();
    }
  };
  const buttons = ACTION_LABELS.filter(([name]) => allowed.includes(name));
  const canDelete = allowed.includes('delete');
  const reasonId = `reject-reason-${app}-${v}`.replace(/[^A-Za-z0-9_-]/g, '-');
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
              onClick={() => {
                if (name === 'reject') {
                  action.clear();
                  setMode('reject');
                } else void act(name);
              }}
            >
              {label}
            </button>
          ))}
          {canDelete && (
            <button
              type="button"
              class="secondary small"
              disabled={action.busy}
              onClick={() => {
                action.clear();
                setMode('delete');
              }}
            >
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
          <div class="field">
            <label for={reasonId}>Reason</label>
            <textarea
              ref={reasonInput}
              id={reasonId}
              required
              maxLength={5000}
              value={reason}
              aria-describedby={`${reasonId}-hint`}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            <small id={`${reasonId}-hint`} class="muted">
              Tell the uploader what to fix in {v}.
            </small>
          </div>
          <div class="actions">
            <button type="submit" class="danger small" disabled={action.busy}>
              {action.busy ? 'Rejecting…' : 'Reject'}
            </button>
            <button
              type="button"
              class="secondary small"
              disabled={action.busy}
              onClick={() => {
                action.clear();
                setMode('buttons');
              }}
            >
              Back
            </button>
          </div>
        </form>
      )}
      {mode === 'delete' && (
        <div class="actions confirm">
          <span>Really delete {v}?</span>
          <button
            type="button"
            class="danger small"
            disabled={action.busy}
            onClick={async () => {
              setPending('delete');
              const ok = await action.run(() => api(url, { method: 'DELETE' }));
              setPending(null);
              if (ok) {
                setMode('buttons');
                if (onDeleted) onDeleted();
                else onDone();
              } else group.current?.focus();
            }}
          >
            {action.busy ? 'Deleting…' : 'Delete'}
          </button>
          <button
            ref={keepButton}
            type="button"
            class="secondary small"
            disabled={action.busy}
            onClick={() => {
              action.clear();
              setMode('buttons');
            }}
          >
            Keep
          </button>
        </div>
      )}
      <ErrorMessage error={action.error} />
      <span class="visually-hidden" role="status">
        {done}
      </span>
    </div>
  );
}

const EVENT_LABELS: Record<string, string> = {
  upload: 'Uploaded',
  replace: 'Replaced package',
  edit: 'Edited',
  submit: 'Submitted for review',
  cancel: 'Cancelled',
  pass: 'Passed',
  reject: 'Rejected',
  release: 'Released to store',
  suspend: 'Suspended',
  activate: 'Activated',
  delete: 'Deleted',
  'suspend-app': 'Suspended app',
  'activate-app': 'Activated app',
  icon: 'Changed icon',
};

/** Audit events, newest first, with older pages on request. */
function Timeline({ url }: { url: string }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [older, setOlder] = useState<AuditEvent[]>([]);
  const first = useAsync(() => api<EventList>(url), [url]);
  const more = useAction();
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const nextCursor = next === undefined ? first.data?.nextCursor : next;
  return (
    <Loaded state={first}>
      {(data) => {
        const items = [...data.items, ...older];
        if (items.length === 0) return <p class="muted">No events yet.</p>;
        return (
          <>
            <ol class="timeline">
              {items.map((ev) => (
                <li key={ev.id}>
                  <div class="event-head">
                    <time dateTime={ev.at}>{formatTime(ev.at)}</time> · <strong class="event-actor">{ev.actor}</strong>{' '}
                    <span class="event-action">{EVENT_LABELS[ev.action] ?? ev.action}</span>
                    {ev.version && (
                      <>
                        {' '}
                        <span class="event-version">{ev.version}</span>
                      </>
                    )}
                    {ev.from && ev.to && ev.from !== ev.to && (
                      <span class="muted">
                        {' '}
                        ({ev.from} → {ev.to})
                      </span>
                    )}
                    {!ev.from && ev.to && <span class="muted"> (→ {ev.to})</span>}
                  </div>
                  {ev.message && <div class="event-message">{ev.message}</div>}
                </li>
              ))}
            </ol>
            {nextCursor && (
              <div class="actions">
                <button
                  type="button"
                  class="secondary small"
                  disabled={more.busy || cursor === nextCursor}
                  onClick={() =>
                    void more.run(async () => {
                      setCursor(nextCursor);
                      const page = await api<EventList>(`${url}?cursor=${encodeURIComponent(nextCursor)}`);
                      setOlder((o) => [...o, ...page.items]);
                      setNext(page.nextCursor);
                    })
                  }
                >
                  {more.busy ? 'Loading…' : 'Show older events'}
                </button>
              </div>
            )}
            <ErrorMessage error={more.error} />
          </>
        );
      }}
    </Loaded>
  );
}

// ---------------------------------------------------------------------------------------
// One version

export function AppVersion({ ws, app, version }: { ws: string; app: string; version: string }) {
  const v = useAsync(() => api<Version>(versionPath(ws, app, version)), [ws, app, version]);
  const [eventsKey, setEventsKey] = useState(0);
  const afterChange = (): void => {
    v.reload();
    setEventsKey((k) => k + 1);
  };
  return (
    <article>
      <p>
        <a href={href('workspaces', ws)}>{ws}</a> / <a href={href('workspaces', ws, 'apps', app)}>{app}</a>
      </p>
      <Loaded state={v}>
        {(data) => (
          <>
            <div class="app-head">
              <div>
                <PageTitle title={`${app} ${data.version}`}>
                  {app} {data.version}
                </PageTitle>
                <p>
                  <StateBadge state={data.state} />
                  {data.metadata.description && <span class="muted"> {data.metadata.description}</span>}
                </p>
              </div>
            </div>
            <VersionActions
              ws={ws}
              app={app}
              version={data}
              onDone={afterChange}
              onDeleted={() => navigate(href('workspaces', ws, 'apps', app))}
            />
            {(data.allowedActions as string[]).includes('replace') && (
              <details class="replace">
                <summary>Replace Package</summary>
                <p class="muted">
                  A package of the same chart name and version. The version becomes a draft again; its update log is
                  kept unless you give a new one.
                </p>
                <ChartUpload
                  idPrefix="replace-package"
                  url={`${versionPath(ws, app, version)}/package`}
                  method="PUT"
                  submitLabel="Replace Package"
                  onUploaded={(_r, _i, setNote) => {
                    setNote(
                      <p class="notice" role="status">
                        Package replaced.
                      </p>,
                    );
                    afterChange();
                  }}
                />
              </details>
            )}
            <VersionFacts version={data} />
            <h2>Update log</h2>
            {data.updateLog ? (
              <pre class="update-log" tabIndex={0}>
                {data.updateLog}
              </pre>
            ) : (
              <p class="muted">No update log.</p>
            )}
            <h2>Test-install</h2>
            <TestInstall ws={ws} app={app} version={data.version} />
          </>
        )}
      </Loaded>
      <h2>README</h2>
      <ChartFile
        ws={ws}
        app={app}
        version={version}
        name="README.md"
        render={(s) => (
          <div class="file-box" tabIndex={0} role="region" aria-label="README">
            <Markdown source={s} />
          </div>
        )}
      />
      <h2>values.yaml</h2>
      <ChartFile ws={ws} app={app} version={version} name="values.yaml" />
      <h2>Chart.yaml</h2>
      <ChartFile ws={ws} app={app} version={version} name="Chart.yaml" />
      <details class="schema">
        <summary>values.schema.json</summary>
        <ChartFile ws={ws} app={app} version={version} name="values.schema.json" />
      </details>
      <h2>Events</h2>
      <Timeline key={eventsKey} url={`${versionPath(ws, app, version)}/events`} />
    </article>
  );
}

function VersionFacts({ version: v }: { version: Version }) {
  const m = v.metadata;
  return (
    <dl class="facts">
      <dt>State</dt>
      <dd>
        <StateBadge state={v.state} />
      </dd>
      <dt>Chart version</dt>
      <dd>{v.version}</dd>
      <dt>App version</dt>
      <dd>{v.appVersion || '—'}</dd>
      <dt>Digest</dt>
      <dd>
        <code class="digest">sha256:{v.digest}</code>
      </dd>
      <dt>Size</dt>
      <dd>{formatSize(v.size)}</dd>
      <dt>Provenance</dt>
      <dd>{v.hasProvenance ? 'Signed (.prov uploaded)' : 'None'}</dd>
      <dt>Uploaded by</dt>
      <dd>{v.uploadedBy ?? <span class="muted">a deleted user</span>}</dd>
      <dt>Created</dt>
      <dd>{formatTime(v.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(v.updatedAt)}</dd>
      <dt>Submitted</dt>
      <dd>{formatTime(v.submittedAt)}</dd>
      <dt>Reviewed</dt>
      <dd>{formatTime(v.reviewedAt)}</dd>
      <dt>Released</dt>
      <dd>{formatTime(v.releasedAt)}</dd>
      <dt>Chart API</dt>
      <dd>
        {m.apiVersion}
        {m.type ? ` · ${m.type}` : ''}
        {m.deprecated ? ' · deprecated' : ''}
      </dd>
      {m.kubeVersion && (
        <>
          <dt>Kubernetes</dt>
          <dd>{m.kubeVersion}</dd>
        </>
      )}
      {m.home && (
        <>
          <dt>Home</dt>
          <dd>
            <a
              href={/^https?:\/\//i.test(m.home) ? m.home : undefined}
              rel="noopener noreferrer nofollow"
              target="_blank"
            >
              {m.home}
            </a>
          </dd>
        </>
      )}
      {m.keywords && m.keywords.length > 0 && (
        <>
          <dt>Keywords</dt>
          <dd>{m.keywords.join(', ')}</dd>
        </>
      )}
      {m.maintainers && m.maintainers.length > 0 && (
        <>
          <dt>Maintainers</dt>
          <dd>{m.maintainers.map((x) => x.name + (x.email ? ` <${x.email}>` : '')).join(', ')}</dd>
        </>
      )}
      {m.sources && m.sources.length > 0 && (
        <>
          <dt>Sources</dt>
          <dd>
            <ul class="plain">
              {m.sources.map((s) => (
                <li key={s}>
                  <a href={/^https?:\/\//i.test(s) ? s : undefined} rel="noopener noreferrer nofollow" target="_blank">
                    {s}
                  </a>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {m.dependencies && m.dependencies.length > 0 && (
        <>
          <dt>Dependencies</dt>
          <dd>
            <ul class="plain">
              {m.dependencies.map((d) => (
                <li key={`${d.name}:${d.alias ?? ''}`}>
                  {d.name} {d.version}
                  {d.repository ? <span class="muted"> from {d.repository}</span> : null}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

/** One file of the chart, as text (or rendered, for the README); a 404 means the chart has none. */
function ChartFile({
  ws,
  app,
  version,
  name,
  render,
}: {
  ws: string;
  app: string;
  version: string;
  name: string;
  render?: (source: string) => JSX.Element;
}) {
  const file = useAsync(async () => {
    try {
      return { source: await text(`${versionPath(ws, app, version)}/files/${encodeURIComponent(name)}`) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { source: null };
      throw err;
    }
  }, [ws, app, version, name]);
  return (
    <Loaded state={file}>
      {({ source }) =>
        source === null ? (
          <p class="muted">This chart has no {name}.</p>
        ) : render ? (
          render(source)
        ) : (
          <pre tabIndex={0} aria-label={name}>
            {source}
          </pre>
        )
      }
    </Loaded>
  );
}
