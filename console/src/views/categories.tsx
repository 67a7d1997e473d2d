// Store management, first tab: the app categories with their icons (made, edited,
// re-iconed and deleted here), and the tab bar both store-management pages share.
import { useState } from 'preact/hooks';
import { api, path, request, type Category, type CategoryList } from '../api.ts';
import {
  DataTable,
  ErrorMessage,
  Field,
  Icon,
  Loaded,
  Notice,
  PageTitle,
  Tabs,
  useAction,
  useAsync,
} from '../components.tsx';
import { CreateForm, RowActions, RowForm, useCreate, type DraftProps } from '../forms.tsx';
import { href } from '../router.ts';

export function ManageTabs({ current }: { current: 'categories' | 'apps' }) {
  return (
    <Tabs
      label="Store management"
      tabs={[
        { href: href('manage', 'categories'), label: 'App Categories', current: current === 'categories' },
        { href: href('manage', 'apps'), label: 'Store Apps', current: current === 'apps' },
      ]}
    />
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

type CategoryDraft = { name: string; description: string };

/** A category's name and description, as the create and edit forms ask for them. */
function CategoryFields({ id, draft, onChange }: DraftProps<CategoryDraft>) {
  return (
    <>
      <Field id={`${id}-name`} label="Name">
        <input
          id={`${id}-name`}
          required
          maxLength={64}
          value={draft.name}
          onInput={(e) => onChange({ ...draft, name: e.currentTarget.value })}
        />
      </Field>
      <Field id={`${id}-description`} label="Description">
        <textarea
          id={`${id}-description`}
          maxLength={2000}
          value={draft.description}
          onInput={(e) => onChange({ ...draft, description: e.currentTarget.value })}
        />
      </Field>
    </>
  );
}

function CreateCategory({ onCreated }: { onCreated: () => void }) {
  const state = useCreate();
  const [draft, setDraft] = useState<CategoryDraft>({ name: '', description: '' });
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [iconError, setIconError] = useState<Error | null>(null);
  return (
    <CreateForm
      headingId="create-category-heading"
      heading="Create Category"
      state={state}
      after={<ErrorMessage error={iconError} />}
      onSubmit={() => {
        setIconError(null);
        return state.create(
          () => {
            const body: { name: string; description?: string } = { name: draft.name.trim() };
            if (draft.description.trim()) body.description = draft.description.trim();
            return api<Category>('/api/v1/categories', { method: 'POST', json: body });
          },
          async (created) => {
            let iconNote = '';
            if (file) {
              try {
                await putCategoryIcon(created.id, file);
              } catch (err) {
                setIconError(err as Error);
                iconNote = ' Its icon was not saved:';
              }
            }
            setDraft({ name: '', description: '' });
            setFile(null);
            setFileKey((k) => k + 1);
            onCreated();
            return `Category “${created.name}” created.${iconNote}`;
          },
        );
      }}
    >
      <CategoryFields id="category" draft={draft} onChange={setDraft} />
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
    </CreateForm>
  );
}

function CategoryRow({ category, onChanged }: { category: Category; onChanged: () => void }) {
  const [mode, setMode] = useState<'view' | 'edit' | 'icon'>('view');
  const action = useAction();
  const [draft, setDraft] = useState<CategoryDraft>({ name: category.name, description: category.description });
  const [file, setFile] = useState<File | null>(null);
  const [notice, setNotice] = useState('');
  // The icon's address does not change with a new image: a stamp makes the browser fetch it again.
  const [stamp, setStamp] = useState(0);
  const remove = {
    what: `“${category.name}”`,
    url: path`/api/v1/categories/${category.id}`,
    action,
    onDone: onChanged,
  };
  const id = `cat-${category.id}`;
  const open = (m: 'edit' | 'icon') => {
    action.clear();
    setNotice('');
    setDraft({ name: category.name, description: category.description });
    setFile(null);
    setMode(m);
  };
  const toggle = (m: 'edit' | 'icon', label: string) => (
    <button
      type="button"
      class="secondary small"
      aria-expanded={mode === m}
      aria-controls={`${id}-more`}
      onClick={() => (mode === m ? setMode('view') : open(m))}
    >
      {label}
    </button>
  );
  const saved = (message: string) => {
    setNotice(message);
    setMode('view');
    onChanged();
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
            <RowActions name={category.name} {...remove}>
              {toggle('edit', 'Edit')}
              {toggle('icon', 'Change icon')}
            </RowActions>
          )}
          {mode === 'view' && <ErrorMessage error={action.error} />}
          <Notice>{mode === 'view' ? notice : ''}</Notice>
        </td>
      </tr>
      {mode !== 'view' && (
        <tr id={`${id}-more`} class="row-form">
          <td colSpan={5}>
            {mode === 'edit' ? (
              <RowForm
                label={`Edit ${category.name}`}
                action={action}
                onSubmit={async () => {
                  const body: { name?: string; description?: string } = {};
                  const name = draft.name.trim();
                  const description = draft.description.trim();
                  if (name !== category.name) body.name = name;
                  if (description !== category.description) body.description = description;
                  if (Object.keys(body).length === 0) return setMode('view');
                  const ok = await action.run(() =>
                    api<Category>(path`/api/v1/categories/${category.id}`, { method: 'PATCH', json: body }),
                  );
                  if (ok) saved('Saved.');
                }}
                onCancel={() => setMode('view')}
              >
                <CategoryFields id={id} draft={draft} onChange={setDraft} />
              </RowForm>
            ) : (
              <RowForm
                label={`Change the icon of ${category.name}`}
                action={action}
                submit="Upload Icon"
                busyLabel="Uploading…"
                disabled={!file}
                onSubmit={async () => {
                  if (!file) return;
                  const ok = await action.run(() => putCategoryIcon(category.id, file));
                  if (ok) {
                    setStamp(Date.now());
                    saved('Icon changed.');
                  }
                }}
                onCancel={() => setMode('view')}
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
              </RowForm>
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
          <DataTable
            columns={[
              <span key="icon" class="visually-hidden">
                Icon
              </span>,
              'Name',
              'Description',
              'Store apps',
              'Actions',
            ]}
          >
            {data.items.map((c) => (
              <CategoryRow key={c.id} category={c} onChanged={() => cats.reload()} />
            ))}
          </DataTable>
        )}
      </Loaded>
      <CreateCategory onCreated={() => cats.reload()} />
    </section>
  );
}
