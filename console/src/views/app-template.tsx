// An app template in its workspace: its information, its versions with exactly the
// actions the API allows on each, new versions, the audit timeline and how to test-install it.
import { useState } from 'preact/hooks';
import { api, path, type AppDetail, type AuditEvent, type EventList, type VersionList } from '../api.ts';
import {
  CopyCommand,
  ErrorMessage,
  formatTime,
  HeadRow,
  ItemsOrNone,
  Loaded,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { AppInfo } from './app-info.tsx';
import { ChartUpload } from './chart-upload.tsx';
import { VersionActions } from './version-actions.tsx';
import { useWorkspaceRole } from './workspace.tsx';

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
      <ItemsOrNone state={versions} none="This app has no versions.">
        {(items) => (
          <div class="table-wrap">
            <table class="versions-table stack-table">
              <HeadRow columns={['Version', 'App version', 'State', 'Created', 'Updated', 'Actions']} />
              <tbody>
                {items.map((v) => (
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
        )}
      </ItemsOrNone>

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

export function TestInstall({ ws, app, version }: { ws: string; app: string; version: string | undefined }) {
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
export function Timeline({ url }: { url: string }) {
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
