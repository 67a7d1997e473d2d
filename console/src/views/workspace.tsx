// A workspace and its tabs: its app templates (the upload form is in chart-upload.tsx), its
// imported repositories (import-repos.tsx) and who is in it. The API decides every write; the caller's role only hides forms a viewer
// could never use, and any refusal is shown as the API words it.
import {
  allPages,
  api,
  path,
  type AppList,
  type AppSummary,
  type Member,
  type Workspace,
  type WorkspaceDetail,
  type WorkspaceRole,
} from '../api.ts';
import {
  ErrorMessage,
  formatTime,
  HeadRow,
  Icon,
  ItemsOrNone,
  Loaded,
  PageTitle,
  ShowMore,
  StateBadge,
  useAsync,
  usePages,
} from '../components.tsx';
import { href, hrefWith, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { ChartUpload, putIcon } from './chart-upload.tsx';
import { ReposTab } from './import-repos.tsx';

/** A workspace's details and the caller's role in it: what the API says (a platform
 * permission may grant one without membership), else the membership from /me. */
function useWorkspace(ws: string) {
  const detail = useAsync(() => api<WorkspaceDetail>(path`/api/v1/workspaces/${ws}`), [ws]);
  const session = useSession();
  return { detail, role: detail.data?.yourRole ?? session.roleIn(ws) };
}

/** The caller's role in a workspace (see useWorkspace). */
export function useWorkspaceRole(ws: string): WorkspaceRole | undefined {
  return useWorkspace(ws).role;
}

export function Workspaces() {
  const list = useAsync(async () => ({ items: await allPages<Workspace>('/api/v1/workspaces') }), []);
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
  const { detail, role } = useWorkspace(ws);
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
  const pages = usePages<AppSummary>();
  const appsPage = (cursor?: string) => {
    const params = new URLSearchParams({ limit: '100' });
    if (cursor) params.set('cursor', cursor);
    return api<AppList>(`${path`/api/v1/workspaces/${ws}/apps`}?${params}`);
  };
  const apps = useAsync(async () => {
    const first = await appsPage();
    pages.reset(first.nextCursor);
    return first;
  }, [ws]);
  return (
    <>
      <h2>App Templates</h2>
      <ItemsOrNone state={apps} none="No app templates yet. Upload a chart to make one.">
        {(items) => (
          <div class="table-wrap">
            <table class="apps-table stack-table">
              <HeadRow columns={['Name', 'Latest version', 'State', 'Versions', 'Category', 'Updated']}>
                <th scope="col">
                  <span class="visually-hidden">Icon</span>
                </th>
              </HeadRow>
              <tbody>
                {[...items, ...pages.items].map((a) => (
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
        )}
      </ItemsOrNone>
      <ShowMore pages={pages} fetch={appsPage} />
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
                  await putIcon(ws, result.app.name, icon);
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

// ---------------------------------------------------------------------------------------
// Members

function MembersTab({ ws, role }: { ws: string; role: WorkspaceRole | undefined }) {
  const session = useSession();
  const members = useAsync(
    async () => ({ items: await allPages<Member>(path`/api/v1/workspaces/${ws}/members`) }),
    [ws],
  );
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
      <ItemsOrNone state={members} none="This workspace has no members.">
        {(items) => (
          <div class="table-wrap">
            <table>
              <HeadRow columns={['User', 'Role', 'Member since']} />
              <tbody>
                {items.map((m) => (
                  <tr key={m.username}>
                    <td>{m.displayName ? `${m.displayName} (${m.username})` : m.username}</td>
                    <td>{roleLabel(m.role)}</td>
                    <td>{formatTime(m.joinedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ItemsOrNone>
    </>
  );
}
