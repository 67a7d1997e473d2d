// An app template's information and icon: the facts, the Edit Information form (a
// reviewer may change the category alone) and the icon changer.
import { useState } from 'preact/hooks';
import { api, path, type App, type AppDetail, type AppPatch, type CategoryList } from '../api.ts';
import { ErrorMessage, Field, formatTime, Icon, PageTitle, useAction, useAsync } from '../components.tsx';
import { ICON_ACCEPT, putIcon } from './chart-upload.tsx';
import { SubmitRow } from '../forms.tsx';

export function AppInfo({
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
            accept={ICON_ACCEPT}
            aria-describedby="app-icon-hint"
            disabled={iconAction.busy}
            onChange={async (e) => {
              const input = e.currentTarget;
              const file = input.files?.[0];
              if (!file) return;
              const ok = await iconAction.run(() => putIcon(ws, app.name, file));
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
      <Field id="edit-description" label="Description">
        <textarea
          id="edit-description"
          maxLength={10000}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field id="edit-abstraction" label="Abstraction" hint="A one-line summary for the store.">
        <input
          id="edit-abstraction"
          maxLength={200}
          value={abstraction}
          aria-describedby="edit-abstraction-hint"
          onInput={(e) => setAbstraction(e.currentTarget.value)}
        />
      </Field>
      <Field id="edit-home" label="Home" hint="An http(s) address, or empty.">
        <input
          id="edit-home"
          type="url"
          maxLength={2000}
          value={home}
          placeholder="https://"
          aria-describedby="edit-home-hint"
          onInput={(e) => setHome(e.currentTarget.value)}
        />
      </Field>
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
      <SubmitRow action={action} label="Save" busyLabel="Saving…">
        <button type="button" class="secondary" disabled={action.busy} onClick={() => onDone(false)}>
          Cancel
        </button>
      </SubmitRow>
    </form>
  );
}
