// Store management for reviewers: the categories (with icons) and the apps released to
// the store, suspended ones included, with their category and suspension controls.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  api,
  path,
  request,
  type App,
  type AppDetail,
  type AppList,
  type Category,
  type CategoryList,
  type Version,
  type WorkspaceList,
} from '../api.ts';
import {
  ErrorMessage,
  Field,
  Icon,
  Loaded,
  PageTitle,
  StateBadge,
  formatTime,
  useAction,
  useAsync,
} from '../components.tsx';
import { href, hrefWith, navigate } from '../router.ts';

/**
 * A button that asks again inline before a destructive action (no browser dialogs).
 * `onConfirm` resolves true when done; the question then closes.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  busy,
  onConfirm,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => Promise<boolean>;
}) {
  const [open, setOpen] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useLayoutEffect(() => {
    if (open) yes.current?.focus();
    else if (wasOpen.current) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  if (!open) {
    return (
      <button ref={opener} type="button" class="secondary small" disabled={busy} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        ref={yes}
        type="button"
        class="danger small"
        disabled={busy}
        onClick={async () => {
          if (await onConfirm()) setOpen(false);
        }}
      >
        {busy ? 'Working…' : confirmLabel}
      </button>
      <button type="button" class="secondary small" disabled={busy} onClick={() => setOpen(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A status line after something was made or changed. */
export function Notice({ children }: { children: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

function ManageTabs({ current }: { current: 'categories' | 'apps' }) {
  return (
    <nav aria-label="Store management">
      <ul class="tabs">
        <li>
          <a href={href('manage', 'categories')} aria-current={current === 'categories' ? 'page' : undefined}>
            App Categories
          </a>
        </li>
        <li>
          <a href={href('manage', 'apps')} aria-current={current === 'apps' ? 'page' : undefined}>
            Store Apps
          </a>
        </li>
      </ul>
    </nav>
  );
}

const ICON_TYPES = 'image/png,image/jpeg,image/svg+xml';

function putCategoryIcon(id: number, file: File): Promise<Category> {
  return request(path`/api/v1/categories/${id}/icon`, {
    method: 'PUT',
    body: file,
    headers: { 'content-type': file.type || 'application/octet-stream' },
  }).then((res) => res.json() as Promise<Category>);
}

function CreateCategory({ onCreated }: { onCreated: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [notice, setNotice] = useState('');
  const [iconError, setIconError] = useState<Error | null>(null);
  return (
    <form
      class="panel"
      aria-labelledby="create-category-heading"
      onSubmit={async (e) => {
        e.preventDefault();
        setNotice('');
        setIconError(null);
        let created: Category | undefined;
        const ok = await action.run(async () => {
          const body: { name: string; description?: string } = { name: name.trim() };
          if (description.trim()) body.description = description.trim();
          created = await api<Category>('/api/v1/categories', { method: 'POST', json: body });
        });
        if (!ok || !created) return;
        let iconNote = '';
        if (file) {
          try {
            await putCategoryIcon(created.id, file);
          } catch (err) {
            setIconError(err as Error);
            iconNote = ' Its icon was not saved:';
          }
        }
        setNotice(`Category “${created.name}” created.${iconNote}`);
        setName('');
        setDescription('');
        setFile(null);
        setFileKey((k) => k + 1);
        onCreated();
      }}
    >
      <h2 id="create-category-heading">Create Category</h2>
      <Field id="category-name" label="Name">
        <input
          id="category-name"
          required
          maxLength={64}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field id="category-description" label="Description">
        <textarea
          id="category-description"
          maxLength={2000}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field id="category-icon" label="Icon" hint="Optional. PNG, JPEG or SVG, at most 96×96 pixels and 64 KiB.">
        <input
          key={fileKey}
          id="category-icon"
          type="file"
          accept={ICON_TYPES}
          aria-describedby="category-icon-hint"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
      </Field>
      <ErrorMessage error={action.error} />
      <Notice>{notice}</Notice>
      <ErrorMessage error={iconError} />
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create Category'}
        </button>
      </div>
    </form>
  );
}

function CategoryRow({ category, onChanged }: { category: Category; onChanged: () => void }) {
  const [mode, setMode] = useState<'view' | 'edit' | 'icon'>('view');
  const action = useAction();
  const [name, setName] = useState(category.name);
  const [description, setDescription] = useState(category.description);
  const [file, setFile] = useState<File | null>(null);
  const [notice, setNotice] = useState('');
  // The icon's address does not change with a new image: a stamp makes the browser fetch it again.
  const [stamp, setStamp] = useState(0);
  const id = `cat-${category.id}`;
  const open = (m: 'edit' | 'icon') => {
    action.clear();
    setNotice('');
    setName(category.name);
    setDescription(category.description);
    setFile(null);
    setMode(m);
  };
  const iconSrc = category.icon && stamp ? `${category.icon}?v=${stamp}` : category.icon;
  return (
    <>
      <tr>
        <td>
          <Icon src={iconSrc} name={category.name} size={32} />
        </td>
        <th scope="row">
          {category.name}
          {category.builtin && <span class="muted"> (built-in)</span>}
        </th>
        <td class="prewrap">{category.description}</td>
        <td>{category.storeApps}</td>
        <td>
          {category.builtin ? (
            <span class="muted">Cannot be changed</span>
          ) : (
            <div class="actions" role="group" aria-label={`Actions for ${category.name}`}>
              <button
                type="button"
                class="secondary small"
                aria-expanded={mode === 'edit'}
                aria-controls={`${id}-more`}
                onClick={() => (mode === 'edit' ? setMode('view') : open('edit'))}
              >
                Edit
              </button>
              <button
                type="button"
                class="secondary small"
                aria-expanded={mode === 'icon'}
                aria-controls={`${id}-more`}
                onClick={() => (mode === 'icon' ? setMode('view') : open('icon'))}
              >
                Change icon
              </button>
              <ConfirmButton
                label="Delete"
                question={`Delete “${category.name}”?`}
                confirmLabel="Yes, delete"
                busy={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    await api(path`/api/v1/categories/${category.id}`, { method: 'DELETE' });
                    onChanged();
                  })
                }
              />
            </div>
          )}
          {mode === 'view' && <ErrorMessage error={action.error} />}
          <Notice>{mode === 'view' ? notice : ''}</Notice>
        </td>
      </tr>
      {mode !== 'view' && (
        <tr id={`${id}-more`} class="row-form">
          <td colSpan={5}>
            {mode === 'edit' ? (
              <form
                aria-label={`Edit ${category.name}`}
                onSubmit={async (e) => {
                  e.preventDefault();
                  const body: { name?: string; description?: string } = {};
                  if (name.trim() !== category.name) body.name = name.trim();
                  if (description.trim() !== category.description) body.description = description.trim();
                  if (Object.keys(body).length === 0) return setMode('view');
                  const ok = await action.run(() =>
                    api<Category>(path`/api/v1/categories/${category.id}`, { method: 'PATCH', json: body }),
                  );
                  if (ok) {
                    setNotice('Saved.');
                    setMode('view');
                    onChanged();
                  }
                }}
              >
                <Field id={`${id}-name`} label="Name">
                  <input
                    id={`${id}-name`}
                    required
                    maxLength={64}
                    value={name}
                    onInput={(e) => setName(e.currentTarget.value)}
                  />
                </Field>
                <Field id={`${id}-description`} label="Description">
                  <textarea
                    id={`${id}-description`}
                    maxLength={2000}
                    value={description}
                    onInput={(e) => setDescription(e.currentTarget.value)}
                  />
                </Field>
                <ErrorMessage error={action.error} />
                <div class="actions">
                  <button type="submit" disabled={action.busy}>
                    {action.busy ? 'Saving…' : 'Save'}
                  </button>
                  <button type="button" class="secondary" onClick={() => setMode('view')}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : (
              <form
                aria-label={`Change the icon of ${category.name}`}
                onSubmit={async (e) => {
                  e.preventDefault();
                  if (!file) return;
                  const ok = await action.run(() => putCategoryIcon(category.id, file));
                  if (ok) {
                    setStamp(Date.now());
                    setNotice('Icon changed.');
                    setMode('view');
                    onChanged();
                  }
                }}
              >
                <Field id={`${id}-icon`} label="New icon" hint="PNG, JPEG or SVG, at most 96×96 pixels and 64 KiB.">
                  <input
                    id={`${id}-icon`}
                    type="file"
                    required
                    accept={ICON_TYPES}
                    aria-describedby={`${id}-icon-hint`}
                    onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
                  />
                </Field>
                <ErrorMessage error={action.error} />
                <div class="actions">
                  <button type="submit" disabled={action.busy || !file}>
                    {action.busy ? 'Uploading…' : 'Upload Icon'}
                  </button>
                  <button type="button" class="secondary" onClick={() => setMode('view')}>
                    Cancel
                  </button>
                </div>
              </form>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

export function Categories() {
  const cats = useAsync(() => api<CategoryList>('/api/v1/categories'), []);
  return (
    <section>
      <PageTitle title="App Categories">App Categories</PageTitle>
      <ManageTabs current="categories" />
      <Loaded state={cats}>
        {(data) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">
                    <span class="visually-hidden">Icon</span>
                  </th>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Store apps</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((c) => (
                  <CategoryRow key={c.id} category={c} onChanged={() => cats.reload()} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <CreateCategory onCreated={() => cats.reload()} />
    </section>
  );
}

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
  const workspaces = await api<WorkspaceList>('/api/v1/workspaces');
  const lists = await pool(workspaces.items, 4, (ws) => api<AppList>(path`/api/v1/workspaces/${ws.name}/apps`));
  const candidates = lists.flatMap((l) => l.items).filter((a) => a.versionCount > 0);
  const details = await pool(candidates, 6, (a) =>
    api<AppDetail>(path`/api/v1/workspaces/${a.workspace}/apps/${a.name}`),
  );
  return details
    .filter((d) => d.versions.some(released))
    .sort((a, b) => a.name.localeCompare(b.name) || a.workspace.localeCompare(b.workspace));
}

function StoreAppBlock({ initial, categories }: { initial: AppDetail; categories: Category[] }) {
  const [app, setApp] = useState(initial);
  useEffect(() => setApp(initial), [initial]);
  const [category, setCategory] = useState(String(initial.category?.id ?? ''));
  const [message, setMessage] = useState('');
  const [notice, setNotice] = useState('');
  const action = useAction();
  const id = `app-${app.workspace}-${app.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const base = path`/api/v1/workspaces/${app.workspace}/apps/${app.name}`;
  const withMessage = <T extends object>(body: T): T & { message?: string } =>
    message.trim() ? { ...body, message: message.trim() } : body;
  const appAction = (act: 'suspend' | 'activate') =>
    action.run(async () => {
      setNotice('');
      const changed = await api<App>(`${base}/actions`, { method: 'POST', json: withMessage({ action: act }) });
      setApp((a) => ({ ...a, ...changed }));
      setMessage('');
      setNotice(
        `${app.name} is now ${changed.suspended ? 'suspended: hidden from the store' : 'active in the store'}.`,
      );
    });
  const versionAction = (version: string, act: 'suspend' | 'activate') =>
    action.run(async () => {
      setNotice('');
      const v = await api<Version>(`${base}/versions/${encodeURIComponent(version)}/actions`, {
        method: 'POST',
        json: withMessage({ action: act }),
      });
      setApp((a) => ({ ...a, versions: a.versions.map((x) => (x.version === v.version ? v : x)) }));
      setMessage('');
      setNotice(`Version ${v.version} is now ${v.state}.`);
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
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!category) return;
          await action.run(async () => {
            setNotice('');
            const changed = await api<App>(base, { method: 'PATCH', json: { category: Number(category) } });
            setApp((a) => ({ ...a, ...changed }));
            setNotice(`${app.name} is now in ${changed.category?.name ?? 'no category'}.`);
          });
        }}
      >
        <label for={`${id}-category`}>Change Category</label>
        <select id={`${id}-category`} value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
          {!app.category && <option value="">None chosen</option>}
          {categories.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
        <button
          type="submit"
          class="secondary small"
          disabled={action.busy || !category || category === String(app.category?.id ?? '')}
        >
          Save
        </button>
      </form>
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
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Released versions of {app.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
              <th scope="col">Released</th>
            </tr>
          </thead>
          <tbody>
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
                    {v.allowedActions.includes('suspend') && (
                      <button
                        type="button"
                        class="secondary small"
                        disabled={action.busy}
                        onClick={() => void versionAction(v.version, 'suspend')}
                      >
                        Suspend Version
                      </button>
                    )}
                    {v.allowedActions.includes('activate') && (
                      <button
                        type="button"
                        class="secondary small"
                        disabled={action.busy}
                        onClick={() => void versionAction(v.version, 'activate')}
                      >
                        Activate Version
                      </button>
                    )}
                  </div>
                </td>
                <td>{formatTime(v.releasedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(hrefWith({ q: filter.trim() || undefined }, 'manage', 'apps'));
        }}
      >
        <label class="visually-hidden" for="manage-filter">
          Filter apps by name
        </label>
        <input
          id="manage-filter"
          type="search"
          placeholder="Filter apps by name"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <button type="submit">Filter</button>
      </form>
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
