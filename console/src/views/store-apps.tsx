// Store management, second tab: the apps released to the store across all workspaces,
// suspended ones included, with their category and suspension controls.
import { useEffect, useState } from 'preact/hooks';
import {
  allPages,
  api,
  path,
  type App,
  type AppDetail,
  type AppSummary,
  type Category,
  type CategoryList,
  type Version,
  type Workspace,
} from '../api.ts';
import {
  DataTable,
  ErrorMessage,
  formatTime,
  Icon,
  Loaded,
  Notice,
  PageTitle,
  StateBadge,
  useAction,
  useAsync,
} from '../components.tsx';
import { InlineForm, SearchForm } from '../forms.tsx';
import { href, hrefWith, navigate } from '../router.ts';
import { ManageTabs } from './categories.tsx';

/** Runs `work` over `items`, at most `limit` at a time, keeping the order. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const released = (v: Version) => v.state === 'active' || v.state === 'suspended';

/**
 * Every app with a released (active or suspended) version, across all workspaces: the
 * store API hides suspended apps, so this walks the workspaces a reviewer may read.
 */
async function loadStoreApps(): Promise<AppDetail[]> {
  const workspaces = await allPages<Workspace>('/api/v1/workspaces');
  const lists = await pool(workspaces, 4, (ws) => allPages<AppSummary>(path`/api/v1/workspaces/${ws.name}/apps`));
  const candidates = lists.flat().filter((a) => a.versionCount > 0);
  const details = await pool(candidates, 6, (a) =>
    api<AppDetail>(path`/api/v1/workspaces/${a.workspace}/apps/${a.name}`),
  );
  return details
    .filter((d) => d.versions.some(released))
    .sort((a, b) => a.name.localeCompare(b.name) || a.workspace.localeCompare(b.workspace));
}

const VERSION_ACTIONS = [
  ['suspend', 'Suspend Version'],
  ['activate', 'Activate Version'],
] as const;

function StoreAppBlock({ initial, categories }: { initial: AppDetail; categories: Category[] }) {
  const [app, setApp] = useState(initial);
  useEffect(() => setApp(initial), [initial]);
  const [category, setCategory] = useState(String(initial.category?.id ?? ''));
  const [message, setMessage] = useState('');
  const [notice, setNotice] = useState('');
  const action = useAction();
  const id = `app-${app.workspace}-${app.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const base = path`/api/v1/workspaces/${app.workspace}/apps/${app.name}`;
  /** Posts a suspend or activate (with the message, if any); `apply` takes in the answer and words the notice. */
  const post = <T,>(url: string, act: 'suspend' | 'activate', apply: (changed: T) => string) =>
    action.run(async () => {
      setNotice('');
      const json = message.trim() ? { action: act, message: message.trim() } : { action: act };
      const changed = await api<T>(url, { method: 'POST', json });
      const done = apply(changed);
      setMessage('');
      setNotice(done);
    });
  const appAction = (act: 'suspend' | 'activate') =>
    post<App>(`${base}/actions`, act, (changed) => {
      setApp((a) => ({ ...a, ...changed }));
      return `${app.name} is now ${changed.suspended ? 'suspended: hidden from the store' : 'active in the store'}.`;
    });
  const versionAction = (version: string, act: 'suspend' | 'activate') =>
    post<Version>(`${base}/versions/${encodeURIComponent(version)}/actions`, act, (v) => {
      setApp((a) => ({ ...a, versions: a.versions.map((x) => (x.version === v.version ? v : x)) }));
      return `Version ${v.version} is now ${v.state}.`;
    });
  const versions = app.versions.filter(released);
  return (
    <section class="panel manage-app" aria-labelledby={`${id}-h`}>
      <div class="app-head">
        <Icon src={app.icon} name={app.name} size={48} />
        <div>
          <h2 id={`${id}-h`}>{app.name}</h2>
          <p class="muted">
            Workspace <a href={href('workspaces', app.workspace)}>{app.workspace}</a> · Category{' '}
            {app.category?.name ?? 'none'} · <StateBadge state={app.suspended ? 'suspended' : 'active'} />
          </p>
        </div>
      </div>
      <InlineForm
        id={`${id}-category`}
        label="Change Category"
        disabled={action.busy || !category || category === String(app.category?.id ?? '')}
        onSubmit={async () => {
          if (!category) return;
          await action.run(async () => {
            setNotice('');
            const changed = await api<App>(base, { method: 'PATCH', json: { category: Number(category) } });
            setApp((a) => ({ ...a, ...changed }));
            setNotice(`${app.name} is now in ${changed.category?.name ?? 'no category'}.`);
          });
        }}
      >
        <select id={`${id}-category`} value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
          {!app.category && <option value="">None chosen</option>}
          {categories.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
      </InlineForm>
      <div class="field">
        <label for={`${id}-message`}>Message (optional)</label>
        <input
          id={`${id}-message`}
          maxLength={5000}
          value={message}
          aria-describedby={`${id}-message-hint`}
          onInput={(e) => setMessage(e.currentTarget.value)}
        />
        <small id={`${id}-message-hint`} class="muted">
          Recorded with the next suspend or activate.
        </small>
      </div>
      <div class="actions">
        {app.suspended ? (
          <button type="button" disabled={action.busy} onClick={() => void appAction('activate')}>
            Activate App
          </button>
        ) : (
          <button type="button" class="danger" disabled={action.busy} onClick={() => void appAction('suspend')}>
            Suspend App
          </button>
        )}
      </div>
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <DataTable columns={['Version', 'State', 'Actions', 'Released']} caption={<>Released versions of {app.name}</>}>
        {versions.map((v) => (
          <tr key={v.version}>
            <th scope="row">
              {v.version}
              {v.appVersion && <span class="muted small-note"> app {v.appVersion}</span>}
            </th>
            <td>
              <StateBadge state={v.state} />
            </td>
            <td>
              <div class="actions" role="group" aria-label={`Actions for ${v.version}`}>
                {VERSION_ACTIONS.map(
                  ([act, label]) =>
                    v.allowedActions.includes(act) && (
                      <button
                        key={act}
                        type="button"
                        class="secondary small"
                        disabled={action.busy}
                        onClick={() => void versionAction(v.version, act)}
                      >
                        {label}
                      </button>
                    ),
                )}
              </div>
            </td>
            <td>{formatTime(v.releasedAt)}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

export function StoreManagement({ q }: { q: string }) {
  const [filter, setFilter] = useState(q);
  useEffect(() => setFilter(q), [q]);
  const state = useAsync(
    () => Promise.all([loadStoreApps(), api<CategoryList>('/api/v1/categories').then((c) => c.items)]),
    [],
  );
  const needle = filter.trim().toLowerCase();
  return (
    <section>
      <PageTitle title="Store Apps">Store Apps</PageTitle>
      <ManageTabs current="apps" />
      <SearchForm
        id="manage-filter"
        label="Filter apps by name"
        button="Filter"
        value={filter}
        onValue={setFilter}
        onSubmit={() => navigate(hrefWith({ q: filter.trim() || undefined }, 'manage', 'apps'))}
      />
      <Loaded state={state}>
        {([apps, categories]) => {
          const shown = needle ? apps.filter((a) => a.name.toLowerCase().includes(needle)) : apps;
          return (
            <>
              <p class="muted" role="status">
                {shown.length === 1 ? '1 app' : `${shown.length} apps`}
                {needle ? ` matching “${filter.trim()}”` : ''} released to the store.
              </p>
              {shown.map((a) => (
                <StoreAppBlock key={`${a.workspace}/${a.name}`} initial={a} categories={categories} />
              ))}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
